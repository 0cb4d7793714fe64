// Small progressive enhancements: add and remove rows of a table field, add items of a list.
document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  if (target.matches("[data-add-row]")) {
    const field = target.closest("[data-table]");
    const table = field.dataset.table;
    // A table's body, or the cards of rows with grouped fields (_form.html record_cards).
    const body = field.querySelector(":scope > [data-rows], :scope > .table-scroll tbody");
    const used = [...body.querySelectorAll("[name]")].map((el) => {
      const rest = el.name.slice(table.length + 1);
      return parseInt(rest.split(".")[0], 10);
    }).filter((n) => !Number.isNaN(n));
    const next = used.length ? Math.max(...used) + 1 : 0;
    const row = field.querySelector(":scope > template").content.firstElementChild.cloneNode(true);
    const idPrefix = `f-${table.replaceAll(".", "-")}-__i__-`;
    const renumber = (text) => text.replace(`${table}.__i__.`, `${table}.${next}.`)
      .replace(idPrefix, `f-${table.replaceAll(".", "-")}-${next}-`);
    row.querySelectorAll("[name]").forEach((el) => { el.name = renumber(el.name); });
    row.querySelectorAll("[id]").forEach((el) => { el.id = renumber(el.id); });
    row.querySelectorAll("label[for]").forEach((el) => { el.htmlFor = renumber(el.htmlFor); });
    const legend = row.querySelector(":scope > legend");
    if (legend) legend.textContent = `${legend.textContent} ${body.querySelectorAll(":scope > [data-row]").length + 1}`;
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

// File fields: a chosen file is uploaded at once (POST /files, the session's CSRF token) and
// the field keeps the returned id in hidden inputs, its name shown as a link. Without this
// script the files go with the form and the server uploads them first.
document.addEventListener("change", async (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
  const field = input.closest("[data-files]");
  if (!field || !input.files.length) return;
  const form = input.closest("form");
  const token = form.querySelector("[name=csrf_token]").value;
  const list = field.querySelector(".file-list");
  const many = field.dataset.many === "1";
  const idField = field.dataset.idField;
  const nameField = field.dataset.nameField;
  const errors = field.querySelector(".errors.upload") || document.createElement("ul");
  errors.className = "errors upload";
  errors.setAttribute("role", "alert");
  errors.replaceChildren();
  field.appendChild(errors);
  const max = parseInt(input.dataset.max, 10);
  const chosen = [...input.files];
  input.value = "";
  for (const file of chosen) {
    const fail = (text) => { const li = document.createElement("li"); li.textContent = text; errors.appendChild(li); };
    if (file.size > max) { fail(`文件「${file.name}」超过 ${(max / 1048576).toFixed(1)} MB，请压缩或分开上传`); continue; }
    const body = new FormData();
    body.append("csrf_token", token);
    body.append("file", file);
    let answer;
    try {
      const response = await fetch(field.dataset.uploadUrl || "/files", { method: "POST", body, credentials: "same-origin" });
      answer = await response.json().catch(() => ({ detail: `上传失败（${response.status}）` }));
      if (!response.ok) { fail(answer.detail || "上传失败"); continue; }
    } catch (error) { fail(`文件「${file.name}」上传失败，请检查网络后重试`); continue; }
    const used = [...list.querySelectorAll("[name]")].map((el) => parseInt(el.name.slice(field.dataset.files.length + 1), 10)).filter((n) => !Number.isNaN(n));
    const prefix = many ? `${field.dataset.files}.${used.length ? Math.max(...used) + 1 : 0}.` : `${field.dataset.files}.`;
    if (!many) list.replaceChildren();
    const li = document.createElement("li");
    li.dataset.row = "";
    const link = document.createElement("a");
    link.href = answer.url; link.textContent = answer.name;
    const hidden = (name, value) => { const h = document.createElement("input"); h.type = "hidden"; h.name = name; h.value = value; return h; };
    li.append(link, hidden(prefix + idField, answer.id));
    if (nameField) li.append(hidden(prefix + nameField, answer.name));
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "link"; remove.textContent = "删除";
    remove.setAttribute("aria-label", `删除 ${answer.name}`);
    remove.dataset.removeRow = "";
    li.append(" ", remove);
    list.appendChild(li);
  }
});
