// Opens pages in headless Chromium (playwright-core, Debian's /usr/bin/chromium) and reports what they drew.
//
//   node tests/browser/render.mjs JOB.json
//
// JOB.json: {"chromium": PATH, "profile": EMPTY_DIR, "pages": [{"kind": "trend"|"mermaid"|"comment",
//            "url": FILE_URL (a #anchor opens that trend.html row), "select": OPTION_VALUE (trend only),
//            "range": the long history's range, 30, 90 or all (a baseline's trend.html only),
//            "width": VIEWPORT_PX (default 1250), "screenshot": PNG_PATH}]}
// Prints one JSON object: {"pages": [facts per page]}. The facts are what tests/integration/
// test_trend_in_browser.py asserts on; this script decides nothing. Every wait is bounded.

import fs from "node:fs";
import { chromium } from "playwright-core";

const TIMEOUT_MS = 20_000;
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const context = await chromium.launchPersistentContext(job.profile, {
  executablePath: job.chromium,
  headless: true,
  args: FLAGS,
  viewport: { width: 1250, height: 900 },
  timeout: TIMEOUT_MS,
});
const results = [];
try {
  for (const spec of job.pages) {
    results.push(await visit(context, spec));
  }
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify({ pages: results }) + "\n");

async function visit(context, spec) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const requests = [];
  const errors = [];
  page.on("request", (request) => {
    if (request.url() !== spec.url.split("#")[0]) requests.push(request.url());
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.setViewportSize({ width: spec.width ?? 1250, height: 900 });
  await page.goto(spec.url, { waitUntil: "load" });
  const kinds = { trend: trendFacts, mermaid: mermaidFacts, comment: commentFacts };
  const facts = await kinds[spec.kind](page, spec);
  if (spec.kind !== "comment") await page.screenshot({ path: spec.screenshot, fullPage: true });
  await page.close();
  return { kind: spec.kind, requests, errors, ...facts };
}

async function trendFacts(page, spec) {
  if (spec.select) await page.selectOption("#endpoint", spec.select);
  if (spec.range) await page.selectOption("#range", spec.range);
  const current = page.locator("section.row:visible svg.chart circle.point.current").nth(1);
  await current.hover();
  return page.evaluate(() => {
    const visible = [...document.querySelectorAll("section.row")].filter((s) => !s.hidden);
    const shown = visible[0];
    return {
      sections: document.querySelectorAll("section.row").length,
      visible: visible.length,
      heading: shown ? shown.querySelector("h2").textContent : null,
      id: shown ? shown.id : null,
      selected: document.getElementById("endpoint").value,
      pageWidth: document.documentElement.clientWidth,
      chartsRight: shown ? Math.max(...[...shown.querySelectorAll("svg.chart")].map((s) => s.getBoundingClientRect().right)) : 0,
      charts: shown
        ? [...shown.querySelectorAll("svg.chart")].map((svg) => ({
            title: svg.querySelector("text.title").textContent,
            ticks: svg.querySelectorAll("text.tick").length,
            axes: [...svg.querySelectorAll("text.axis")].map((t) => t.textContent),
            edgeLabels: [...svg.querySelectorAll("text.edge-label")].map((t) => t.textContent),
            width: svg.getBoundingClientRect().width,
            points: svg.querySelectorAll("circle.point").length,
            current: svg.querySelectorAll("circle.point.current").length,
            bands: svg.querySelectorAll("g.band rect").length,
            lines: [...svg.querySelectorAll("polyline.series")].map((l) => l.points.numberOfItems),
            last: [...svg.querySelectorAll("circle.point")].map((c) => Number(c.getAttribute("cy"))).at(-1),
            bandTop: svg.querySelector("g.band rect") ? Number(svg.querySelector("g.band rect").getAttribute("y")) : null,
          }))
        : [],
      hover: document.querySelector(":hover > title, circle.point.current:hover title")?.textContent ?? null,
      long: shown
        ? [...shown.querySelectorAll("figure.long")].filter((f) => !f.hidden).map((f) => ({
            title: f.querySelector("text.title").textContent,
            lines: [...f.querySelectorAll("polyline.series")].map((l) => l.points.numberOfItems),
            changes: [...f.querySelectorAll("g.change title")].map((t) => t.textContent),
          }))
        : [],
    };
  });
}

async function mermaidFacts(page) {
  await page.waitForSelector("body[data-rendered]");
  return page.evaluate(() => ({
    outcome: document.body.dataset.rendered,
    syntaxError: document.body.innerText.includes("Syntax error"),
    diagrams: [...document.querySelectorAll("pre.mermaid")].map((pre) => {
      const svg = pre.querySelector("svg");
      const paths = svg ? [...svg.querySelectorAll('g[class^="line-plot"] path')] : [];
      const coordinates = paths.map((path) =>
        (path.getAttribute("d").match(/[ML][^ML]+/g) || []).map((step) => Number(step.slice(1).split(",")[1])),
      );
      return {
        svg: Boolean(svg),
        width: svg ? svg.getBoundingClientRect().width : 0,
        lines: coordinates.map((ys) => ys.length),
        ys: coordinates,
        text: svg ? svg.textContent : pre.textContent,
      };
    }),
  }));
}

// The PR comment as GitHub lays it out: where the headline, the findings table and the first chart
// end, in CSS px from the top of the page, and which table rows wrap once every <details> is open.
async function commentFacts(page, spec) {
  await page.waitForSelector("body[data-rendered]");
  await page.screenshot({ path: spec.screenshot, fullPage: true }); // folded, as a reader first sees it
  const before = await page.evaluate(() => {
    const bottom = (element) => (element ? element.getBoundingClientRect().bottom + window.scrollY : null);
    const headline = document.querySelector(".markdown-body h2, .markdown-body h3, .markdown-body h4");
    const style = headline ? getComputedStyle(headline) : null;
    const firstTable = document.querySelector(".markdown-body > table");
    const diagrams = [...document.querySelectorAll("pre.mermaid svg")];
    return {
      outcome: document.body.dataset.rendered,
      headline: headline ? headline.textContent : null,
      headlineLines: headline ? Math.round(headline.getBoundingClientRect().height / parseFloat(style.lineHeight)) : 0,
      findingsBottom: bottom(firstTable),
      firstChartBottom: diagrams.length ? bottom(diagrams[0]) : null,
      height: bottom(document.querySelector(".markdown-body")),
      openDetails: document.querySelectorAll("details[open]").length,
      details: document.querySelectorAll("details").length,
      diagrams: diagrams.map((svg) => ({
        title: svg.querySelector(".chart-title text")?.textContent ?? null,
        yTicks: svg.querySelectorAll(".left-axis .label text").length,
      })),
    };
  });
  const after = await page.evaluate(() => {
    for (const details of document.querySelectorAll("details")) details.open = true;
    const single = (row) => {
      const cell = row.querySelector("td");
      const style = getComputedStyle(cell);
      const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      return row.getBoundingClientRect().height <= parseFloat(style.lineHeight) * 1.5 + padding + 2;
    };
    return {
      unfoldedHeight: document.querySelector(".markdown-body").getBoundingClientRect().bottom + window.scrollY,
      wrappedRows: [...document.querySelectorAll(".markdown-body table tbody tr")]
        .filter((row) => !single(row))
        .map((row) => row.textContent.trim().replace(/\s+/g, " ")),
    };
  });
  return { ...before, ...after };
}
