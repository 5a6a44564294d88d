// The auditor's pages: while some requests of the range are still being
// judged (their histories rebuilt into the verdict cache), the page comes
// back in a few seconds with the counts of those judged meanwhile.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const cov = document.getElementById("coverage");
  if (!cov) return;
  const judged = Number(cov.dataset.judged), total = Number(cov.dataset.total);
  if (judged < total) setTimeout(() => location.reload(), 4000);
});
