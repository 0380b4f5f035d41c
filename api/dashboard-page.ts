// The dashboard's page: one self-contained HTML document (no build step, no
// framework). Its script reads /ui/data 5 s after each answer and draws each chart as plain
// SVG; every text from the data goes in through textContent, never as HTML.

const style = `
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f5f6f8; }
  body { margin: 0 auto; max-width: 1180px; padding: 16px 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
  .muted { color: #667085; font-size: 12px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; }
  .card { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 12px 16px; }
  .card h3 { font-size: 15px; margin: 0 0 2px; display: flex; justify-content: space-between; gap: 8px; }
  .badge { font-size: 11px; padding: 2px 8px; border-radius: 10px; background: #eef1f5; }
  .GREEN { background: #d1f5dc; } .YELLOW { background: #fdf0c2; } .RED { background: #fbd5d5; }
  .COMPLETED, .WARM { background: #d1f5dc; } .PAUSED, .FAILED, .CANCELLED { background: #fbd5d5; } .SENDING, .WARMING { background: #dbe8ff; }
  a { color: #2459c7; font-size: 12px; } svg text { font-size: 11px; fill: #475467; }
  ul.reasons { margin: 4px 0 0; padding-left: 18px; font-size: 12px; }
  form { margin-top: 24px; } input { padding: 6px; width: 320px; }
`;

export function tokenPage(message: string | null): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Campaign engine · sign in</title><style>${style}</style></head>
<body><h1>WhatsApp campaign engine</h1><p class="muted">The dashboard needs the API token (npm start prints it; it is also in .data/api-token).</p>
${message ? `<p role="alert">${message}</p>` : ''}
<form method="post" action="/ui"><label>API token <input name="token" type="password" autocomplete="off" autofocus></label> <button>Open the dashboard</button></form></body></html>`;
}

const script = `
const NS = 'http://www.w3.org/2000/svg';
const el = (tag, attrs = {}, text) => { const node = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v); if (text !== undefined) node.textContent = String(text); return node; };
const svgEl = (tag, attrs = {}, text) => { const node = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v); if (text !== undefined) node.textContent = String(text); return node; };
const fmt = (n) => n === null || n === undefined ? 'unlimited' : Number(n).toLocaleString('en');
const qualityColour = { GREEN: '#9be3b0', YELLOW: '#f6d776', RED: '#f19999', UNKNOWN: '#d5d9e0' };

function header(title, badges, link) {
  const h = el('h3'); h.append(el('span', {}, title));
  const right = el('span'); for (const b of badges) if (b) right.append(el('span', { class: 'badge ' + b }, b), ' ');
  if (link) { const a = el('a', { href: link, target: '_blank', rel: 'noopener' }, 'Temporal UI ↗'); right.append(a); }
  h.append(right); return h;
}

// Warm-up: the limit rung per day (step, log scale), distinct recipients used vs the allowance (bars vs ticks), the quality band beneath.
function warmupChart(days) {
  const width = 520, height = 190, left = 52, bottom = 34, top = 10, plotH = height - top - bottom, plotW = width - left - 10;
  const svg = svgEl('svg', { width, height, role: 'img', 'aria-label': 'warm-up chart', 'data-chart': 'warmup' });
  if (days.length === 0) { svg.append(svgEl('text', { x: left, y: 60 }, 'No days recorded yet')); return svg; }
  const values = days.flatMap((d) => [d.limit ?? 0, d.allowance ?? 0, d.used]).filter((v) => v > 0);
  const max = Math.max(250, ...values) * 1.3, min = 10;
  const y = (v) => top + plotH - (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) * plotH;
  const step = plotW / days.length, x = (i) => left + i * step;
  for (const tick of [100, 1000, 10000, 100000].filter((t) => t < max)) {
    svg.append(svgEl('line', { x1: left, x2: width - 10, y1: y(tick), y2: y(tick), stroke: '#eceff3' }));
    svg.append(svgEl('text', { x: 4, y: y(tick) + 4 }, fmt(tick)));
  }
  days.forEach((d, i) => {
    svg.append(svgEl('rect', { x: x(i) + step * 0.2, width: step * 0.6, y: y(d.used), height: Math.max(0, top + plotH - y(d.used)), fill: '#7aa7f7', 'data-used': d.used }));
    if (d.allowance !== null) svg.append(svgEl('line', { x1: x(i) + step * 0.1, x2: x(i) + step * 0.9, y1: y(d.allowance), y2: y(d.allowance), stroke: '#1d2433', 'stroke-width': 2, 'stroke-dasharray': '3 2' }));
    svg.append(svgEl('rect', { x: x(i), width: step, y: height - bottom + 6, height: 8, fill: qualityColour[d.quality] ?? qualityColour.UNKNOWN, 'data-quality': d.quality }));
  });
  const limitPath = days.map((d, i) => { const v = d.limit ?? max / 1.3; return (i === 0 ? 'M' : 'L') + x(i) + ' ' + y(v) + ' L' + (x(i) + step) + ' ' + y(v); }).join(' ');
  svg.append(svgEl('path', { d: limitPath, fill: 'none', stroke: '#d9480f', 'stroke-width': 2, 'data-series': 'limit' }));
  svg.append(svgEl('text', { x: left, y: height - 4 }, 'day 1'));
  svg.append(svgEl('text', { x: width - 60, y: height - 4 }, 'day ' + days.length));
  return svg;
}

function legend(items) { const p = el('p', { class: 'muted' }); p.textContent = items.join(' · '); return p; }

// Campaign funnel: audience → sent → delivered → read as bars, failed and skipped beside them.
function funnel(progress) {
  const rows = [['audience', progress.audience], ['sent', progress.sent], ['delivered', progress.delivered], ['read', progress.read], ['failed', progress.failed], ['skipped', progress.skipped], ['pending', progress.pending]];
  const width = 520, rowH = 20, height = rows.length * rowH + 4, left = 80, plotW = width - left - 70;
  const svg = svgEl('svg', { width, height, role: 'img', 'aria-label': 'campaign funnel', 'data-chart': 'funnel' });
  const max = Math.max(1, progress.audience);
  rows.forEach(([label, value], i) => {
    const yTop = i * rowH + 2;
    svg.append(svgEl('text', { x: 0, y: yTop + 14 }, label));
    svg.append(svgEl('rect', { x: left, y: yTop, height: rowH - 5, width: Math.max(1, value / max * plotW), fill: i < 4 ? '#4c7ef3' : i === 4 ? '#e5484d' : '#98a2b3', 'data-stage': label, 'data-value': value }));
    svg.append(svgEl('text', { x: left + Math.max(1, value / max * plotW) + 6, y: yTop + 14 }, fmt(value)));
  });
  return svg;
}

function throughputChart(series) {
  const width = 520, height = 110, left = 52, top = 8, bottom = 18, plotH = height - top - bottom, plotW = width - left - 10;
  const svg = svgEl('svg', { width, height, role: 'img', 'aria-label': 'throughput', 'data-chart': 'throughput' });
  const points = series.points;
  if (points.length === 0) { svg.append(svgEl('text', { x: left, y: 50 }, 'Nothing sent yet')); return svg; }
  const rates = points.map((p) => p.sent / series.bucketSeconds), max = Math.max(1, ...rates);
  const bucketMs = series.bucketSeconds * 1000, t0 = points[0].at, span = points.at(-1).at + bucketMs - t0;
  const x = (t) => left + (t - t0) / span * plotW, y = (r) => top + plotH - r / max * plotH, barW = Math.max(2, plotW * bucketMs / span - 1);
  svg.append(svgEl('text', { x: 2, y: top + 8 }, fmt(Math.round(max)) + '/s'));
  svg.append(svgEl('text', { x: 2, y: top + plotH }, '0/s'));
  points.forEach((p, i) => svg.append(svgEl('rect', { x: x(p.at), y: y(rates[i]), width: barW, height: top + plotH - y(rates[i]), fill: '#12b76a', 'data-rate': rates[i] })));
  svg.append(svgEl('text', { x: left, y: height - 4 }, new Date(t0).toLocaleTimeString()));
  return svg;
}

function reasons(title, byReason) {
  const entries = Object.entries(byReason); if (entries.length === 0) return null;
  const wrap = el('div'); wrap.append(el('div', { class: 'muted' }, title));
  const ul = el('ul', { class: 'reasons' }); for (const [reason, n] of entries) ul.append(el('li', {}, fmt(n) + ' · ' + reason)); wrap.append(ul); return wrap;
}

async function refresh() {
  const response = await fetch('/ui/data', { credentials: 'same-origin' });
  if (response.status === 401) { location.href = '/ui'; return; }
  const data = await response.json();
  const portfolios = document.getElementById('portfolios'); portfolios.replaceChildren();
  for (const p of data.portfolios) {
    const card = el('section', { class: 'card', 'data-portfolio': p.portfolioId });
    card.append(header('Portfolio ' + p.portfolioId, [p.status, p.quality], p.link));
    card.append(legend(['limit ' + fmt(p.messagingLimit), 'allowance ' + fmt(p.allowance), 'used in window ' + fmt(p.used), p.sendingAllowed ? 'sending allowed' : 'sending held']));
    card.append(warmupChart(p.days));
    card.append(legend(['orange: limit rung', 'bars: distinct recipients', 'dashes: allowance', 'strip: quality']));
    portfolios.append(card);
  }
  if (data.portfolios.length === 0) portfolios.append(el('p', { class: 'muted' }, 'No governed portfolio yet: POST /v1/warmups starts one.'));
  const campaigns = document.getElementById('campaigns'); campaigns.replaceChildren();
  for (const c of data.campaigns) {
    const card = el('section', { class: 'card', 'data-campaign': c.campaignId });
    card.append(header(c.name, [c.status], c.link));
    if (c.statusReason) card.append(el('p', { class: 'muted' }, c.statusReason));
    card.append(funnel(c.progress));
    for (const part of [reasons('failed by reason', c.progress.failedByReason), reasons('skipped by reason', c.progress.skippedByReason)]) if (part) card.append(part);
    card.append(el('div', { class: 'muted' }, 'messages per second'));
    card.append(throughputChart(c.throughput));
    campaigns.append(card);
  }
  if (data.campaigns.length === 0) campaigns.append(el('p', { class: 'muted' }, 'No campaign yet: POST /v1/campaigns creates one.'));
  document.getElementById('updated').textContent = 'updated ' + new Date(data.generatedAt).toLocaleTimeString();
}
// The next refresh is asked for once this one is drawn: a slow answer never piles requests up.
async function loop() { try { await refresh(); } catch (error) { document.getElementById('updated').textContent = 'refresh failed: ' + error; } setTimeout(loop, 5000); }
loop();
`;

export const dashboardPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Campaign engine · dashboard</title><style>${style}</style></head>
<body><h1>WhatsApp campaign engine</h1><div class="muted" id="updated">loading…</div>
<h2>Warm-up</h2><div class="grid" id="portfolios"></div>
<h2>Campaigns</h2><div class="grid" id="campaigns"></div>
<script>${script}</script></body></html>`;

