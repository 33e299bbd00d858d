// The log form: highlight the answer for the channel being logged (the page marks it on load
// too, so this only follows a change of channel).
(function () {
  "use strict";
  const form = document.querySelector("[data-testid=attempt-form]");
  if (!form) return;
  form.addEventListener("change", (e) => {
    if (e.target.name !== "channel") return;
    for (const li of document.querySelectorAll(".contact-answers [data-channels]")) {
      const chosen = li.dataset.channels.split(" ").includes(e.target.value);
      li.classList.toggle("chosen", chosen);
      if (chosen) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
    }
  });
})();
