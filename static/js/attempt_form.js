// The log form: highlight the answer for the channel being logged (the page marks it on load
// too, so this only follows a change of channel), and open the fields an outcome needs
// (<details data-outcomes="promised">: the promise's amount and date) when it is chosen.
(function () {
  "use strict";
  const form = document.querySelector("[data-testid=attempt-form]");
  if (!form) return;
  form.addEventListener("change", (e) => {
    if (e.target.name === "outcome") {
      for (const block of form.querySelectorAll("details[data-outcomes]")) {
        const needed = block.dataset.outcomes.split(" ").includes(e.target.value);
        if (needed) block.open = true;
        // Closed again only when nothing was typed into it.
        else if (![...block.querySelectorAll("input")].some((i) => i.value)) block.open = false;
      }
      return;
    }
    if (e.target.name !== "channel") return;
    for (const li of document.querySelectorAll(".contact-answers [data-channels]")) {
      const chosen = li.dataset.channels.split(" ").includes(e.target.value);
      li.classList.toggle("chosen", chosen);
      if (chosen) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
    }
  });
})();
