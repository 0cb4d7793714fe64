// The process designer: bpmn-js modeler with the Camunda 7 properties panel (the bundle in
// vendor/designer/modeler.js), the selected user task's form next to it with the task page's
// preview, and 校验 / 部署 through the server's deploy checks with the problems marked on the
// elements they name.
(async () => {
  const canvasBox = document.getElementById("designer-canvas");
  if (!canvasBox || typeof XuanpinModeler === "undefined") return;
  const seed = JSON.parse(document.getElementById("designer-seed").textContent);
  const urls = document.getElementById("designer-urls").dataset;
  const csrf = document.getElementById("designer-csrf").value;
  const status = document.getElementById("designer-status");
  const problemsBox = document.getElementById("designer-problems");
  const problemList = document.getElementById("designer-problem-list");
  const formBox = document.getElementById("designer-form");
  const formKeyLabel = document.getElementById("designer-form-key");
  const schemaInput = document.getElementById("designer-form-schema");
  const preview = document.getElementById("designer-form-preview");

  const modeler = XuanpinModeler.createModeler(canvasBox, document.getElementById("designer-properties"));
  // For people debugging in the console and for the browser test.
  window.xuanpinDesigner = { modeler };
  let filename = seed.filename;
  // form key -> the JSON Schema as text, as edited; all of them go with 校验 and 部署.
  const forms = {};
  for (const [key, schema] of Object.entries(seed.forms || {})) forms[key] = JSON.stringify(schema, null, 2);

  try {
    await modeler.importXML(seed.xml);
  } catch (error) {
    canvasBox.textContent = "流程图无法打开：" + error.message;
    return;
  }
  modeler.get("canvas").zoom("fit-viewport");
  canvasBox.dataset.ready = "true";

  const say = (text) => { status.textContent = text; };

  // --- decision tables (dmn-js, loaded the first time one is opened) ------------------------------
  // file name -> DMN XML as edited; all of them go with 校验 and 部署 in place of the deployed ones.
  const decisions = { ...(seed.decisions || {}) };
  const dmnBox = document.getElementById("designer-dmn");
  const work = document.querySelector(".designer-work");
  let dmnModeler = null;
  let dmnOpen = null;
  const loadDmn = () => new Promise((resolve, reject) => {
    if (typeof DmnJS !== "undefined") return resolve();
    const script = document.createElement("script");
    script.src = urls.dmn;
    script.onload = resolve;
    script.onerror = () => reject(new Error("dmn-js 加载失败"));
    document.head.append(script);
  });
  const keepDecision = async () => {
    if (dmnOpen) decisions[dmnOpen] = (await dmnModeler.saveXML({ format: true })).xml;
  };
  const openTab = async (name) => {
    await keepDecision();
    for (const tab of document.querySelectorAll(".designer-tabs [role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.file === (name || "")));
    }
    dmnBox.hidden = !name;
    work.hidden = Boolean(name);
    dmnOpen = name || null;
    if (!name) return;
    await loadDmn();
    dmnModeler = dmnModeler || new DmnJS({ container: dmnBox });
    await dmnModeler.importXML(decisions[name]);
    const table = dmnModeler.getViews().find((view) => view.type === "decisionTable");
    if (table) await dmnModeler.open(table);
    dmnBox.dataset.ready = name;
  };
  for (const tab of document.querySelectorAll(".designer-tabs [role=tab]")) {
    tab.addEventListener("click", () => openTab(tab.dataset.file).catch((error) => say("决策表无法打开：" + error.message)));
  }

  // --- the selected user task's form ------------------------------------------------------------
  let formKey = null;
  let previewTimer = null;
  const formKeyOf = (element) => {
    const bo = element && element.businessObject;
    if (!bo || bo.$type !== "bpmn:UserTask") return null;
    return bo.get("camunda:formKey") || null;
  };
  const showForm = (element) => {
    formKey = formKeyOf(element);
    formBox.hidden = !formKey;
    if (!formKey) return;
    if (!(formKey in forms)) {
      forms[formKey] = JSON.stringify({ type: "object", title: element.businessObject.name || formKey, properties: {}, required: [] }, null, 2);
    }
    formKeyLabel.textContent = formKey;
    schemaInput.value = forms[formKey];
    renderPreview();
  };
  const renderPreview = async () => {
    if (!formKey) return;
    const body = new FormData();
    body.set("csrf_token", csrf);
    body.set("form_key", formKey);
    body.set("schema", schemaInput.value);
    const response = await fetch(urls.preview, { method: "POST", body, credentials: "same-origin" });
    if (response.ok) {
      preview.innerHTML = await response.text();  // our own template, escaped by Jinja
    } else {
      const problem = await response.json().catch(() => ({ detail: "预览失败" }));
      preview.innerHTML = "";
      const p = document.createElement("p");
      p.className = "errors";
      p.textContent = problem.detail;
      preview.append(p);
    }
  };
  schemaInput.addEventListener("input", () => {
    if (formKey) forms[formKey] = schemaInput.value;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, 400);
  });
  modeler.on("selection.changed", ({ newSelection }) => showForm(newSelection.length === 1 ? newSelection[0] : null));
  modeler.on("element.changed", ({ element }) => {
    const selected = modeler.get("selection").get();
    if (selected.length === 1 && selected[0] === element && formKeyOf(element) !== formKey) showForm(element);
  });

  // --- problems on the canvas ---------------------------------------------------------------------
  let marked = [];
  const clearProblems = () => {
    const canvas = modeler.get("canvas");
    for (const id of marked) canvas.removeMarker(id, "xp-error");
    modeler.get("overlays").remove({ type: "xp-problem" });
    marked = [];
    problemList.textContent = "";
    problemsBox.querySelector("h2").textContent = "校验未通过";
    problemsBox.hidden = true;
  };
  const showProblems = (problem) => {
    const registry = modeler.get("elementRegistry");
    const canvas = modeler.get("canvas");
    const items = problem.problems && problem.problems.length ? problem.problems : [{ message: problem.detail }];
    for (const item of items) {
      const li = document.createElement("li");
      const element = item.element_id && registry.get(item.element_id);
      if (element) {
        canvas.addMarker(element.id, "xp-error");
        marked.push(element.id);
        const badge = document.createElement("span");
        badge.className = "xp-problem";
        badge.textContent = "!";
        badge.title = item.message;
        modeler.get("overlays").add(element.id, "xp-problem", { position: { top: -12, right: 12 }, html: badge });
        const go = document.createElement("button");
        go.type = "button";
        go.className = "link";
        go.textContent = element.businessObject.name || element.id;
        go.addEventListener("click", () => {
          modeler.get("selection").select(element);
          canvas.scrollToElement(element);
        });
        li.append(go, "：");
      } else if (item.where) {
        li.append(`${item.where}：`);
      }
      li.append(item.message);
      li.dataset.element = item.element_id || "";
      problemList.append(li);
    }
    problemsBox.hidden = false;
  };

  const send = async (url) => {
    clearProblems();
    await keepDecision();
    const { xml } = await modeler.saveXML({ format: true });
    const body = new FormData();
    body.set("csrf_token", csrf);
    body.set("bpmn", xml);
    body.set("filename", filename || "");
    body.set("forms", JSON.stringify(forms));
    body.set("decisions", JSON.stringify(decisions));
    // The called processes and decision tables deployed with the opened version go along.
    if (seed.based_on) {
      body.set("based_on_key", seed.based_on.key);
      body.set("based_on_version", seed.based_on.version);
    }
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin" });
    const answer = await response.json().catch(() => ({ detail: `服务器返回 ${response.status}` }));
    if (!response.ok) {
      showProblems(answer);
      say(`校验未通过（${problemList.children.length} 处）`);
      return null;
    }
    return answer;
  };

  document.getElementById("designer-check").addEventListener("click", async () => {
    say("正在校验…");
    const answer = await send(urls.check);
    if (answer) say("校验通过：" + answer.processes.map((p) => `${p.name}（${p.key}）`).join("、"));
  });
  // The process test cases run against the diagram as it is now, before it is deployed.
  document.getElementById("designer-test").addEventListener("click", async () => {
    say("正在运行测试用例…（每个用例约数秒）");
    const answer = await send(urls.tests);
    if (!answer) return;
    const failed = answer.processes.flatMap((p) => p.results.filter((r) => !r.passed));
    const counts = answer.processes.map((p) => `${p.key}：通过 ${p.passed}，失败 ${p.failed}`);
    const none = answer.without_cases.length ? `；没有测试用例：${answer.without_cases.join("、")}` : "";
    say((counts.join("；") || "没有可运行的测试用例") + none);
    if (!failed.length) return;
    problemsBox.querySelector("h2").textContent = "测试用例未通过";
    for (const result of failed) {
      const li = document.createElement("li");
      li.textContent = result.report.join("\n");
      li.className = "report";
      problemList.append(li);
    }
    problemsBox.hidden = false;
  });
  document.getElementById("designer-deploy").addEventListener("click", async () => {
    say("正在部署…");
    const answer = await send(urls.deploy);
    if (!answer) return;
    status.textContent = "";
    for (const v of answer.versions) {
      if (!filename) filename = `${v.key}.bpmn`;
      const link = document.createElement("a");
      link.href = v.versions_url;
      link.textContent = v.created ? `已部署 ${v.name} 第 ${v.version} 版` : `${v.name} 内容未变，仍为第 ${v.version} 版`;
      status.append(link, " ");
    }
  });
  document.getElementById("designer-download").addEventListener("click", async () => {
    const { xml } = await modeler.saveXML({ format: true });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    link.download = filename || "diagram.bpmn";
    link.click();
    URL.revokeObjectURL(link.href);
  });
})();
