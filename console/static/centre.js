// The call centre: the live queue redraws only the row of a request that
// changed (GET /centre/rows/{id} with the page's filters); a request's page
// reloads when its request changes, unless a form is being filled in.
"use strict";
(function () {
  const hc = window.housecall;

  // markLate keeps a row red when one of its countdowns has run out (the
  // server's own "overdue" class is never taken away here).
  function markLate(root) {
    root.querySelectorAll("tr[data-id]").forEach((tr) => {
      const late = tr.dataset.overdue === "1" || tr.querySelector(".countdown.overdue") !== null;
      tr.classList.toggle("overdue", late);
    });
  }

  function queue(table) {
    const body = document.getElementById("queue-rows");
    const empty = document.getElementById("queue-empty");
    const query = table.dataset.query ? "?" + table.dataset.query : "";
    const fix = () => { if (empty) empty.hidden = body.rows.length > 0; hc.tick(); markLate(body); };
    const parse = (html) => {
      const t = document.createElement("tbody");
      t.innerHTML = html;
      return t;
    };
    async function row(id) {
      const res = await fetch("/centre/rows/" + encodeURIComponent(id) + query, { credentials: "same-origin" });
      const old = document.getElementById("row-" + id);
      if (res.status === 204) { if (old) old.remove(); fix(); return; }
      if (!res.ok) return;
      const tr = parse(await res.text()).querySelector("tr");
      if (!tr) return;
      tr.classList.add("flash-new");
      if (old) old.remove();
      body.insertBefore(tr, body.firstChild); // most recently changed first
      fix();
      window.dispatchEvent(new CustomEvent("centre:row", { detail: { id: id, at: Date.now() } }));
    }
    async function all() {
      const res = await fetch("/centre/rows" + query, { credentials: "same-origin" });
      if (!res.ok) return;
      body.innerHTML = await res.text();
      fix();
    }
    hc.live((id) => (id === "*" ? all() : row(id)));
    setInterval(() => markLate(body), 1000);
    markLate(body);
  }

  function request(page) {
    const id = page.dataset.requestId;
    let dirty = !!document.getElementById("page-error");
    document.addEventListener("input", (e) => { if (e.target.closest(".event-form")) dirty = true; });
    const banner = document.getElementById("changed");
    hc.live((changed) => {
      if (changed !== id && changed !== "*") return;
      if (dirty) { if (banner) banner.hidden = false; return; }
      window.location.replace("/centre/requests/" + encodeURIComponent(id));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const table = document.getElementById("queue");
    if (table) queue(table);
    const page = document.getElementById("request-page");
    if (page) request(page);
  });
})();
