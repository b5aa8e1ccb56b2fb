// 公示与评定: one button ticks (or unticks) every open objection for the bulk 不予受理 form.
// Without JavaScript the button stays hidden and each objection is ticked by hand.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("pick-all");
  if (!all) return;
  all.hidden = false;
  all.addEventListener("click", () => {
    const boxes = [...document.querySelectorAll('input[form="dismiss-form"]')];
    const tick = boxes.some((box) => !box.checked);
    boxes.forEach((box) => { box.checked = tick; });
  });
});
