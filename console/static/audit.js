// The auditor's pages: while some requests of the range are still being
// judged (their histories rebuilt into the verdict cache), the page comes
// back in a few seconds with the counts of those judged meanwhile — as long
// as the count moves (a request whose history cannot be read, e.g. gone
// past the namespace's retention, stays "not judged" without reloading
// forever).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const cov = document.getElementById("coverage");
  if (!cov) return;
  const judged = Number(cov.dataset.judged), total = Number(cov.dataset.total);
  const key = "hc-judged:" + location.pathname + location.search;
  const prev = sessionStorage.getItem(key);
  sessionStorage.setItem(key, String(judged));
  if (judged < total && (prev === null || Number(prev) < judged)) setTimeout(() => location.reload(), 4000);
});
