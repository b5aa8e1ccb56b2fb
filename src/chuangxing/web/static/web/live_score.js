/* 创星: the live score. When an input of the findings form changes, the form is posted to the
   preview endpoint (nothing is saved there) and the scores on the page are updated from its JSON:
   each indicator and item ([data-node]), each rule ([data-rule]), the total, the rating, and on the
   self-assessment "what would it take". Plain JavaScript, no framework, nothing from the network
   but this site. */
(function () {
  "use strict";
  var form = document.getElementById("findings");
  if (!form || !form.dataset.previewUrl) { return; }
  var timer = null;
  var pending = null;
  var status = document.querySelector("[data-live-status]");

  function text(selector, value) {
    document.querySelectorAll(selector).forEach(function (el) { el.textContent = value; });
  }

  function signed(value) {
    var n = Number(value);
    if (n > 0) { return "+" + value; }
    if (n < 0) { return "\u2212" + String(value).replace("-", ""); }
    return "0";
  }

  function renderPlan(plan) {
    var box = document.querySelector("[data-plan]");
    if (!box || plan === undefined) { return; }
    var html = "<h3>怎样达到下一等次</h3>";
    if (!plan) {
      html += "<p>本标准不评定等次。</p>";
    } else if (!plan.target) {
      html += "<p>已达到最高等次。</p>";
    } else if (plan.reachable) {
      html += "<p>要达到<b></b>（可到 <span></span> 分），需要：</p><ol></ol>";
    } else {
      html += "<p>本期可改进的项目不足以达到<b></b>。</p>";
    }
    box.innerHTML = html;
    var b = box.querySelector("b");
    if (b) { b.textContent = plan.target_label; }
    var span = box.querySelector("p span");
    if (span) { span.textContent = plan.total_after; }
    var list = box.querySelector("ol");
    (plan && plan.fixes || []).forEach(function (fix) {
      var li = document.createElement("li");
      li.textContent = fix.texts.join("；") + " ";
      var gain = document.createElement("span");
      gain.className = "gain";
      gain.textContent = "+" + fix.gain;
      li.appendChild(gain);
      if (list) { list.appendChild(li); }
    });
    (plan && plan.blockers || []).forEach(function (blocker) {
      var p = document.createElement("p");
      p.className = "blocker";
      p.textContent = blocker;
      box.appendChild(p);
    });
  }

  function apply(data) {
    Object.keys(data.nodes || {}).forEach(function (id) {
      var value = data.nodes[id];
      document.querySelectorAll('[data-node="' + CSS.escape(id) + '"]').forEach(function (el) {
        el.textContent = el.closest(".adjustment") ? signed(value) : value;
      });
    });
    document.querySelectorAll("[data-rule]").forEach(function (el) {
      el.textContent = signed((data.rules || {})[el.dataset.rule] || "0");
    });
    document.querySelectorAll(".live-error[data-for]").forEach(function (el) {
      var errors = (data.errors || {})[el.dataset.for];
      el.textContent = errors ? errors.join(" ") : "";
      el.closest(".rule-row").classList.toggle("has-error", Boolean(errors));
    });
    if (data.total !== undefined) { text("[data-total]", data.total); }
    if (data.rating !== undefined) { text("[data-rating]", data.rating || "—"); }
    text("[data-eligible]", data.eligible ? "（分数可达" + data.eligible + "）" : "");
    if (data.unassessed !== undefined) { text("[data-unassessed]", String(data.unassessed)); }
    renderPlan(data.what_would_it_take);
    if (status) {
      status.classList.toggle("dirty", data.changed > 0);
      status.textContent = data.changed > 0
        ? "实时得分：已改动 " + data.changed + " 项，尚未保存"
        : "实时得分（没有未保存的改动）";
      if (data.errors && Object.keys(data.errors).length) {
        status.textContent += "；有 " + Object.keys(data.errors).length + " 项填写有误";
      }
    }
  }

  function preview() {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),   // urlencoded, as the form itself posts (no file here)
      headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
      credentials: "same-origin",
      signal: pending.signal
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(apply).catch(function (error) {
      if (error.name !== "AbortError" && status) { status.textContent = "暂时无法计算实时得分，保存后将显示最新得分"; }
    });
  }

  function changed() {
    if (status) { status.textContent = "正在计算……"; }
    clearTimeout(timer);
    timer = setTimeout(preview, 300);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
}());
