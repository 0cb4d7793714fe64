// Small progressive enhancements: add and remove rows of a table field, add items of a list.
document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  if (target.matches("[data-add-row]")) {
    const field = target.closest("[data-table]");
    const body = field.querySelector("tbody");
    const used = [...body.querySelectorAll("[name]")].map((el) => {
      const rest = el.name.slice(field.dataset.table.length + 1);
      return parseInt(rest.split(".")[0], 10);
    }).filter((n) => !Number.isNaN(n));
    const next = used.length ? Math.max(...used) + 1 : 0;
    const row = field.querySelector("template").content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[name]").forEach((el) => {
      el.name = el.name.replace(".__i__.", `.${next}.`);
      el.id = el.id.replace("-__i__-", `-${next}-`);
    });
    body.appendChild(row);
    row.querySelector("input, select, textarea")?.focus();
  }
  if (target.matches("[data-remove-row]")) {
    target.closest("[data-row]").remove();
  }
  if (target.matches("[data-add-item]")) {
    const list = document.querySelector(`[data-list="${target.dataset.addItem}"]`);
    const item = list.lastElementChild.cloneNode(true);
    item.querySelectorAll("input, select, textarea").forEach((el) => { el.value = ""; el.removeAttribute("id"); });
    list.appendChild(item);
    item.querySelector("input, select, textarea")?.focus();
  }
});
