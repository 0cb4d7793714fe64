// The case diagram: bpmn-js viewer, completed steps green (with a count when repeated),
// active ones outlined, failed ones red.
(async () => {
  const box = document.getElementById("diagram");
  if (!box || typeof BpmnJS === "undefined") return;
  const response = await fetch(box.dataset.src, { credentials: "same-origin" });
  if (!response.ok) { box.textContent = "流程图加载失败"; return; }
  const picture = await response.json();
  box.textContent = "";
  // bpmn-js's own labels (the drill-down into a subprocess) in Chinese.
  const words = { "Open {element}": "打开「{element}」" };
  const translate = (template, replacements = {}) =>
    (words[template] || template).replace(/{([^}]+)}/g, (_, key) => replacements[key] ?? `{${key}}`);
  const viewer = new BpmnJS({ container: box, additionalModules: [{ translate: ["value", translate] }] });
  try {
    await viewer.importXML(picture.xml);
  } catch (error) {
    box.textContent = "流程图无法显示：" + error.message;
    return;
  }
  const canvas = viewer.get("canvas");
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");
  for (const element of picture.elements) {
    if (!registry.get(element.id)) continue;
    if (element.error) canvas.addMarker(element.id, "xp-error");
    else if (element.active) canvas.addMarker(element.id, "xp-active");
    else if (element.completed) canvas.addMarker(element.id, "xp-done");
    if (element.completed > 1) {
      const badge = document.createElement("span");
      badge.className = "xp-count";
      badge.textContent = `×${element.completed}`;
      badge.title = `已完成 ${element.completed} 次`;
      overlays.add(element.id, { position: { top: -10, right: 10 }, html: badge });
    }
  }
  canvas.zoom("fit-viewport");
  box.dataset.ready = "true";
})();
