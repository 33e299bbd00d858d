// The case list's letter batch: tick all cases on the page, and show the days to pay for a
// demand only (a notice has no deadline).
(function () {
  "use strict";
  document.addEventListener("change", (e) => {
    const all = e.target.closest("[data-select-all]");
    if (all) document.querySelectorAll('input[name="case"]').forEach((box) => { box.checked = all.checked; });
  });
  const kind = document.querySelector("#letter-batch [name=kind]");
  const days = document.querySelector("[data-demand-only]");
  if (!kind || !days) return;
  const showDays = () => { days.hidden = kind.value !== "demand"; };
  kind.addEventListener("change", showDays);
  showDays();
})();
