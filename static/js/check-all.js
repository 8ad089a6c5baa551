// A checkbox with data-check-all="name" chooses or clears every checkbox of that name in its form.
document.querySelectorAll("input[data-check-all]").forEach((all) => {
  const boxes = () => all.form
    ? all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.checkAll}"]`)
    : [];
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
});
