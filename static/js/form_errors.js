// After a form comes back with errors, bring the first one into view and put the focus on
// what to fix: on a phone the message is otherwise screens below where the page opens.
// Errors are a field's .invalid-feedback, an error alert (role="alert", or any in a form),
// Django's .errorlist or [data-form-error].
(function () {
  "use strict";
  const SELECTOR =
    "main .invalid-feedback, main .alert-danger[role=alert], main form .alert-danger, " +
    "main .errorlist, main [data-form-error]";

  function target(error) {
    // The field the error belongs to: its container's first input, or the radio chosen.
    // Choices with none chosen get no focus ring on their first option (it would look
    // chosen): the message itself takes the focus.
    const field = error.closest("[data-field]");
    const input = field && (field.querySelector("input:checked") ||
      field.querySelector("input:not([type=hidden]):not([type=radio]), select, textarea"));
    return input || error;
  }

  function show(error) {
    // The message is read first: scroll it (not only the input) into view, at once (Bootstrap
    // makes scrolling smooth: the page would still be moving when the user looks).
    (error.closest("[data-field]") || error).scrollIntoView({ block: "center", behavior: "instant" });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const error = [...document.querySelectorAll(SELECTOR)].find((e) => e.textContent.trim());
    if (!error) return;
    for (let d = error.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
    const focus = target(error);
    if (focus === error && !error.hasAttribute("tabindex")) error.setAttribute("tabindex", "-1");
    show(error);
    focus.focus({ preventScroll: true });
    // Once everything has loaded the page may have grown above the error: show it again,
    // unless the user has scrolled meanwhile.
    const scrolled = window.scrollY;
    window.addEventListener("load", () => {
      if (window.scrollY === scrolled) requestAnimationFrame(() => show(error));
    }, { once: true });
  });
})();
