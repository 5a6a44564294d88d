// housecall console, the engineer's phone pages: the job panel follows the
// workflow live (a knock prompt or the call prompt fired by its timers
// shows without a reload), and the customer's signature is drawn on a
// canvas with pointer events and sent as a PNG data URL.
"use strict";
(function () {
  const hc = window.housecall || {};

  // A form the engineer has started to fill in is not replaced under
  // their thumb: the page offers a refresh instead.
  document.addEventListener("input", (e) => {
    const f = e.target.closest && e.target.closest("#job-panel form");
    if (f) f.dataset.dirty = "1";
  });

  function dirty(job) {
    return !!job.querySelector("form[data-dirty]");
  }

  let busy = false, again = false;
  async function refresh() {
    const job = document.getElementById("job");
    if (!job) return;
    if (busy) { again = true; return; }
    if (dirty(job)) { offerRefresh(job); return; }
    busy = true;
    try {
      const res = await fetch("/engineer/jobs/" + encodeURIComponent(job.dataset.request) + "/panel", { credentials: "same-origin", cache: "no-store" });
      if (res.ok) {
        const html = await res.text();
        if (!dirty(job)) {
          job.innerHTML = html;
          init(job);
          if (hc.tick) hc.tick();
        } else {
          offerRefresh(job);
        }
      }
    } catch (e) { /* the next notification tries again */ }
    busy = false;
    if (again) { again = false; refresh(); }
  }

  function offerRefresh(job) {
    if (document.getElementById("job-changed")) return;
    const b = document.createElement("button");
    b.type = "button";
    b.id = "job-changed";
    b.className = "big eng-changed";
    b.textContent = job.dataset.changed || "↻";
    b.addEventListener("click", () => location.reload());
    job.prepend(b);
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
      const f = box.closest("form");
      if (f) f.dataset.dirty = "1";
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
