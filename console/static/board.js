// The dispatch board: a click on an engineer's row fills in the booking
// form (engineer and time), a click on a waiting request chooses it, and
// the board is redrawn on every change (housecall.live).
"use strict";
(function () {
  const $ = (s, el) => (el || document).querySelector(s);
  const pad = (n) => String(n).padStart(2, "0");

  function chooseRequest(id) {
    const input = $("#book-request");
    if (!input) return;
    input.value = id;
    document.querySelectorAll("#board-unscheduled li").forEach((li) => li.classList.toggle("chosen", li.dataset.request === id));
  }

  function pickSlot(lane, ev) {
    const svg = lane.ownerSVGElement;
    const d = svg.dataset;
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.width.baseVal.value || 1;
    const x = (ev.clientX - box.left) / scale;
    const labelW = +d.labelW, hourW = +d.hourW, snap = +d.snap;
    let minutes = (+d.firstHour) * 60 + ((x - labelW) / hourW) * 60;
    minutes = Math.floor(minutes / snap) * snap;
    minutes = Math.max(+d.firstHour * 60, Math.min(minutes, +d.lastHour * 60 - snap));
    const eng = $("#book-engineer"), time = $("#book-time");
    if (eng) eng.value = lane.dataset.engineer;
    if (time) time.value = pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
    const pick = $("#board-pick");
    if (pick) {
      const len = +(($("#book-minutes") || {}).value || 60);
      pick.setAttribute("x", labelW + ((minutes - d.firstHour * 60) / 60) * hourW);
      pick.setAttribute("y", +lane.dataset.y + 3);
      pick.setAttribute("width", (len / 60) * hourW);
      pick.setAttribute("height", +d.rowH - 6);
    }
    const req = $("#book-request");
    if (req && !req.value) req.focus();
  }

  document.addEventListener("click", (ev) => {
    const lane = ev.target.closest && ev.target.closest("#board-svg .lane");
    if (lane) { pickSlot(lane, ev); return; }
    const b = ev.target.closest && ev.target.closest(".pick-request, #board-unscheduled li");
    if (b) chooseRequest(b.dataset.request);
  });

  // Live: redraw the board and the waiting list (not the form being filled in).
  document.addEventListener("DOMContentLoaded", () => {
    const live = $("#board-live");
    if (!live || !window.housecall || !window.housecall.live) return;
    let timer = null, busy = false, again = false;
    const reload = async () => {
      if (busy) { again = true; return; }
      busy = true;
      try {
        const q = new URLSearchParams({ day: live.dataset.day, region: live.dataset.region });
        const res = await fetch("/board/live?" + q, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (res.ok) {
          live.innerHTML = await res.text();
          const chosen = ($("#book-request") || {}).value;
          if (chosen) chooseRequest(chosen);
          live.dataset.reloads = String(+(live.dataset.reloads || 0) + 1);
          if (window.housecall.tick) window.housecall.tick();
        }
      } finally {
        busy = false;
        if (again) { again = false; reload(); }
      }
    };
    window.housecall.live(() => { clearTimeout(timer); timer = setTimeout(reload, 150); });
  });
})();
