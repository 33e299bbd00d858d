// Behaviour shared by every page, from data attributes: the Content-Security-Policy allows no
// inline scripts and no on*= handlers, so templates say what they want and this file does it.
(function () {
  "use strict";
  // <button data-print>: print the page (letters, summaries).
  document.addEventListener("click", (e) => {
    if (e.target.closest("[data-print]")) window.print();
  });
  // <select data-autosubmit>: choosing an option sends its form (the letter list's filter).
  document.addEventListener("change", (e) => {
    if (e.target.matches("select[data-autosubmit]") && e.target.form) e.target.form.submit();
  });
  // <div class="progress-bar" data-progress="37">: the bar's width, without a style attribute.
  function drawProgress(root) {
    root.querySelectorAll("[data-progress]").forEach((bar) => {
      bar.style.width = `${Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0))}%`;
    });
  }
  document.addEventListener("DOMContentLoaded", () => drawProgress(document));
  // htmx swaps a fresh progress bar in every two seconds while an import runs.
  document.addEventListener("htmx:load", (e) => drawProgress(e.target));
})();
