// The document viewer (templates/_viewer.html): PDF.js (served from /static/vendor/pdfjs) for PDFs, page
// images for scans, the sanitised HTML render of office files and e-mail. A search's hits are drawn over
// the pages from their word boxes (/documents/ID/pages/N/boxes?q=). No inline script or style: the CSP holds.
const PDFJS = "/static/vendor/pdfjs/";
const POLL_MS = 1200;
const POLL_TRIES = 60;

const root = document.getElementById("viewer");
if (root) start(root).catch((err) => say(root, "the preview could not be shown: " + err.message, "failed"));

function say(root, text, state) {
  root.querySelector(".viewer-status").textContent = text;
  if (state) root.dataset.state = state;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function json(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

async function start(root) {
  const id = root.dataset.doc;
  let info = await json(`/documents/${id}/preview.json`);
  for (let i = 0; info.mode === "pending" && i < POLL_TRIES; i++) {
    say(root, "the preview is being made…");
    await sleep(POLL_MS);
    info = await json(`/documents/${id}/preview.json`);
  }
  root.dataset.mode = info.mode;
  const pages = root.querySelector(".viewer-pages");
  if (info.mode === "pdf") await showPdf(root, pages, info);
  else if (info.mode === "images") await showImages(root, pages, info);
  else if (info.mode === "html") await showHtml(root, pages, info);
  else say(root, `no preview: ${info.reason || "not available"}; download the original`, "none");
}

function pageBox(pages, n, ratio) {
  const box = document.createElement("div");
  box.className = "viewer-page";
  box.dataset.page = n;
  box.style.aspectRatio = String(ratio);
  const label = document.createElement("span");
  label.className = "viewer-page-no";
  label.textContent = `page ${n}`;
  box.append(label);
  pages.append(box);
  return box;
}

function wantsHits(root, n) {
  if (!root.dataset.q.trim()) return false;
  const listed = root.dataset.hitPages.trim();
  return listed === "all" || listed.split(/\s+/).includes(String(n));
}

async function drawHits(root, box, n) {
  if (!wantsHits(root, n)) return;
  const url = `/documents/${root.dataset.doc}/pages/${n}/boxes?q=${encodeURIComponent(root.dataset.q)}`;
  let found = await json(url);
  for (let i = 0; found.state === "pending" && i < POLL_TRIES; i++) {
    await sleep(POLL_MS);
    found = await json(url);
  }
  for (const [x0, y0, x1, y1] of found.boxes) {
    const mark = document.createElement("span");
    mark.className = "viewer-hit";
    mark.style.left = `${x0 * 100}%`;
    mark.style.top = `${y0 * 100}%`;
    mark.style.width = `${(x1 - x0) * 100}%`;
    mark.style.height = `${(y1 - y0) * 100}%`;
    box.append(mark);
  }
  box.dataset.hits = String(found.boxes.length);
  if (found.boxes.length && !root.dataset.firstHit) {
    root.dataset.firstHit = String(n);
  }
}

function whenVisible(box, work) {
  const seen = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      seen.disconnect();
      work();
    }
  }, { rootMargin: "600px" });
  seen.observe(box);
}

async function showPdf(root, pages, info) {
  const pdfjs = await import(PDFJS + "pdf.min.mjs");
  pdfjs.GlobalWorkerOptions.workerSrc = PDFJS + "pdf.worker.min.mjs";
  const pdf = await pdfjs.getDocument({
    url: info.original, withCredentials: true, isEvalSupported: false, enableXfa: false,
    standardFontDataUrl: PDFJS + "standard_fonts/",
  }).promise;
  const count = Math.min(pdf.numPages, info.pages);
  const first = await pdf.getPage(1);
  const size = first.getViewport({ scale: 1 });
  let drawn = 0;
  for (let n = 1; n <= count; n++) {
    const box = pageBox(pages, n, size.width / size.height);
    whenVisible(box, async () => {
      const page = await pdf.getPage(n);
      const natural = page.getViewport({ scale: 1 });
      box.style.aspectRatio = String(natural.width / natural.height);
      const scale = (box.clientWidth || 600) / natural.width * (window.devicePixelRatio || 1);
      const viewport = page.getViewport({ scale });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      box.prepend(canvas);
      await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
      box.dataset.rendered = "1";
      drawn++;
      say(root, `PDF, ${pdf.numPages} page(s)` + (info.cut ? ` (${info.cut})` : ""), "ready");
      await drawHits(root, box, n);
    });
  }
}

async function showImages(root, pages, info) {
  const ready = new Set(info.ready || []);
  const waiting = [];
  for (let n = 1; n <= info.pages; n++) {
    const box = pageBox(pages, n, 1 / 1.414);
    const img = document.createElement("img");
    img.alt = `page ${n}`;
    img.loading = n <= 2 ? "eager" : "lazy";
    img.decoding = "async";
    img.addEventListener("load", () => {
      if (!ready.has(n)) return;
      box.style.aspectRatio = String(img.naturalWidth / img.naturalHeight);
      box.dataset.rendered = "1";
      say(root, `scan, ${info.page_count || info.pages} page(s)` + (info.cut ? ` (${info.cut})` : ""), "ready");
      drawHits(root, box, n);
    });
    img.src = `/documents/${info.id}/pages/${n}.png`;
    box.prepend(img);
    if (!ready.has(n)) waiting.push([n, img]);
  }
  for (let i = 0; waiting.length && i < POLL_TRIES; i++) {
    say(root, "the page images are being made…");
    await sleep(POLL_MS);
    const now = await json(`/documents/${info.id}/preview.json`);
    for (const n of now.ready || []) ready.add(n);
    for (let k = waiting.length - 1; k >= 0; k--) {
      const [n, img] = waiting[k];
      if (ready.has(n)) {
        img.src = `/documents/${info.id}/pages/${n}.png?made=${Date.now()}`;
        waiting.splice(k, 1);
      }
    }
  }
}

async function showHtml(root, pages, info) {
  const response = await fetch(`/documents/${info.id}/preview.html`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`the HTML preview: ${response.status}`);
  const frame = document.createElement("div");
  frame.className = "viewer-html";
  // Sanitised on the server (nh3: no script, style, event handler or remote image), read as inert markup.
  const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
  frame.append(...parsed.body.childNodes);
  pages.append(frame);
  say(root, `${info.kind.toUpperCase()} rendered as HTML (layout simplified)`, "ready");
}
