// housecall console, the engineer's phone pages: the job panel follows the
// workflow live (a knock prompt or the call prompt fired by its timers
// shows without a reload), and the customer's signature is drawn on a
// canvas with pointer events and sent as a PNG data URL.
"use strict";
(function () {
  const hc = window.housecall || {};

  // What the engineer has entered in the panel's forms (ticks, choices,
  // text, a drawn signature) survives a live refresh: it is carried into
  // the new panel, form by form (matched by their event).
  function keep(panel) {
    const kept = [];
    panel.querySelectorAll("form[data-event]").forEach((f) => {
      f.querySelectorAll("input, textarea, select").forEach((el) => {
        if (el.name === "csrf" || el.name === "nonce" || el.name === "type") return;
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked) kept.push([f.dataset.event, el.name, el.value, true]);
        } else if (el.value) {
          kept.push([f.dataset.event, el.name, el.value, false]);
        }
      });
    });
    const more = panel.querySelector("#more");
    return { kept, moreOpen: !!(more && more.open) };
  }

  function restore(panel, state) {
    state.kept.forEach(([ev, name, value, check]) => {
      const f = panel.querySelector('form[data-event="' + ev + '"]');
      if (!f) return;
      const els = Array.from(f.elements).filter((el) => el.name === name);
      if (check) {
        els.filter((el) => el.value === value).forEach((el) => (el.checked = true));
      } else if (els[0]) {
        els[0].value = value;
      }
    });
    const more = panel.querySelector("#more");
    if (more && state.moreOpen) more.open = true;
  }

  function typing(job) {
    const a = document.activeElement;
    return a && job.contains(a) && (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && !["checkbox", "radio", "submit", "button"].includes(a.type)));
  }

  let busy = false, again = false;
  async function refresh() {
    const job = document.getElementById("job");
    if (!job) return;
    if (busy) { again = true; return; }
    if (typing(job)) {
      // Not under the engineer's thumb: once the field is left.
      document.activeElement.addEventListener("blur", () => setTimeout(refresh, 0), { once: true });
      return;
    }
    busy = true;
    try {
      const res = await fetch("/engineer/jobs/" + encodeURIComponent(job.dataset.request) + "/panel", { credentials: "same-origin", cache: "no-store" });
      if (res.ok) {
        const html = await res.text();
        const old = job.querySelector("#job-panel");
        const state = old ? keep(old) : { kept: [], moreOpen: false };
        job.innerHTML = html;
        restore(job, state);
        init(job);
        if (hc.tick) hc.tick();
      }
    } catch (e) { /* the next notification tries again */ }
    busy = false;
    if (again) { again = false; refresh(); }
  }

  // Signature pad: pointer events (finger, pen or mouse) draw on the
  // canvas; each stroke's end exports the drawing into the hidden field.
  function pad(box) {
    const canvas = box.querySelector("canvas");
    const field = box.querySelector('input[name="signature"]');
    if (!canvas || !field || canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 4;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#102a43";
    if (field.value.startsWith("data:image/png;base64,")) {
      const img = new Image();
      img.onload = () => ctx.drawImage(img, 0, 0);
      img.src = field.value;
      box.classList.add("signed");
    }
    let drawing = false;
    const at = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
    };
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      drawing = true;
      try { canvas.setPointerCapture(e.pointerId); } catch (x) { /* synthetic events */ }
      const [x, y] = at(e);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 0.1, y + 0.1);
      ctx.stroke();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      e.preventDefault();
      const [x, y] = at(e);
      ctx.lineTo(x, y);
      ctx.stroke();
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      field.value = canvas.toDataURL("image/png");
      box.classList.add("signed");
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    const clear = box.querySelector(".eng-clear");
    if (clear) clear.addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      field.value = "";
      box.classList.remove("signed");
    });
  }

  function init(root) {
    root.querySelectorAll("#signature-pad").forEach(pad);
  }

  document.addEventListener("DOMContentLoaded", () => {
    init(document);
    const job = document.getElementById("job");
    if (job && hc.live) {
      hc.live((id) => {
        if (id === "*" || id === job.dataset.request) refresh();
      });
    }
  });
})();
