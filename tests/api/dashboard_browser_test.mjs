// Browser test of the dashboard: loads the golden fixture with the real binary, starts
// `marquee serve`, drives Debian's chromium with playwright-core, picks a company and checks that
// the chart and the table show that company's numbers (those of company_yearly.csv) on a
// continuous year axis (a year without movies is a gap), that a click on a bar or a table row
// (or Enter on its year) lists as many movies as the row counts, that the page fits a 390 px
// phone, then that the page still works without chart.js, and that SIGTERM stops the server
// cleanly. The golden fixture has no ratings: the ratings panel and the company's ratings say
// so. Then a generated archive with ratings (`marquee generate`), run and served by a second
// server: the ratings panel's chart and table, and a company's ratings table, hold the API's
// rows, which are those of genre_rating_yearly.csv and company_rating_yearly.csv.
//
//   MARQUEE_BINARY=build/marquee node tests/api/dashboard_browser_test.mjs
//
// Environment: MARQUEE_BINARY (required), MARQUEE_NODE_MODULES (default <binary dir>/node/node_modules,
// then <repo>/build/node/node_modules),
// MARQUEE_ARTIFACTS_DIR (default <binary dir>/test-artifacts; the screenshots go there),
// MARQUEE_CHROMIUM (default /usr/bin/chromium). Exits 77 (skipped) when playwright-core or
// chromium is missing, 1 on a failure.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const kSkip = 77;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const binary = process.env.MARQUEE_BINARY;
if (!binary || !fs.existsSync(binary)) {
  console.error(`MARQUEE_BINARY must name the built marquee binary (got '${binary ?? ''}')`);
  process.exit(1);
}
const nodeModules = process.env.MARQUEE_NODE_MODULES ||
  [path.join(path.dirname(path.resolve(binary)), 'node/node_modules'), path.join(repo, 'build/node/node_modules')]
    .find((dir) => fs.existsSync(path.join(dir, 'playwright-core'))) || path.join(repo, 'build/node/node_modules');
const artifacts = process.env.MARQUEE_ARTIFACTS_DIR || path.join(path.dirname(path.resolve(binary)), 'test-artifacts');
const chromiumPath = process.env.MARQUEE_CHROMIUM || '/usr/bin/chromium';
const golden = path.join(repo, 'tests/fixtures/golden');

let chromium;
try {
  ({ chromium } = createRequire(path.join(nodeModules, 'noop.js'))('playwright-core'));
} catch (err) {
  console.error(`skipped: playwright-core is not installed in ${nodeModules} (npm ci in build/node): ${err.message}`);
  process.exit(kSkip);
}
if (!fs.existsSync(chromiumPath)) {
  console.error(`skipped: no chromium at ${chromiumPath} (apt-get install chromium)`);
  process.exit(kSkip);
}

/** A report CSV as SPEC 5 writes it: RFC 4180 quoting, LF line ends. */
function parseCsv(text) {
  const records = [];
  let record = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { record.push(field); field = ''; }
    else if (c === '\n') { record.push(field); records.push(record); record = []; field = ''; }
    else field += c;
  }
  const [header, ...rows] = records;
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(base, server) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`marquee serve exited with ${server.exitCode}`);
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base}/health did not answer within 30 s`);
}

function waitForExit(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => resolve(null), ms);
    child.on('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

const integer = new Intl.NumberFormat('en-US');
const shown = (v) => (v === '' ? '—' : integer.format(Number(v)));

async function checkDashboard(context, base, company, expected,
  { withoutCharts = false, viewport = { width: 1360, height: 900 } } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`); });
  // No external network: anything not addressed to this server is refused and reported.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (withoutCharts && url === `${base}/vendor/chart.umd.js`) return route.fulfill({ status: 404, body: '' });
    if (url.startsWith(base)) return route.continue();
    problems.push(`external request: ${url}`);
    return route.abort();
  });
  await page.setViewportSize(viewport);
  await page.goto(`${base}/`);
  await page.waitForSelector('#company-results button');

  // Pick the company by searching for it.
  await page.fill('#company-search', company.name);
  const button = page.locator(`#company-results button[data-company-id="${company.id}"]`);
  await button.waitFor();
  await button.click();
  await page.waitForSelector(`#company-table[data-company-id="${company.id}"]`);
  await page.waitForFunction(
    (n) => document.querySelectorAll('#company-table tbody tr').length === n, expected.length);
  assert.equal(await page.textContent('#company-title'), company.name);

  // The table: every cell's value is the report's, and budgets are shown with separators.
  const cells = await page.$$eval('#company-table tbody tr', (rows) =>
    rows.map((tr) => [...tr.cells].map((td) => ({ value: td.dataset.value, text: td.textContent }))));
  const columns = ['year', 'movies', 'total_budget', 'budget_movies', 'total_revenue', 'revenue_movies',
    'total_profit', 'profit_movies', 'avg_popularity'];
  expected.forEach((row, i) => {
    columns.forEach((col, j) => assert.equal(cells[i][j].value, row[col], `row ${row.year} ${col}`));
    assert.equal(cells[i][2].text, shown(row.total_budget), `row ${row.year} budget as shown`);
    assert.equal(cells[i][8].text, row.avg_popularity || '—', `row ${row.year} avg_popularity as shown`);
  });

  return { page, problems, cells };
}

/** Every year from the first to the last of `rows` (in year order): the dashboard's continuous axis. */
function continuousYears(rows) {
  const first = Number(rows[0].year);
  const last = Number(rows[rows.length - 1].year);
  return Array.from({ length: last - first + 1 }, (_, i) => String(first + i));
}

/** Waits for the movies dialog to list `count` movies and returns their titles. */
async function listedMovies(page, count) {
  await page.waitForSelector('#movies-dialog[open]');
  await page.waitForSelector(`#movies-table[data-count="${count}"]`);
  const titles = await page.$$eval('#movies-table tbody tr', (rows) => rows.map((tr) => tr.cells[0].textContent));
  assert.equal(titles.length, count, 'one table row per listed movie');
  return titles;
}

async function closeMovies(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('#movies-dialog:not([open])', { state: 'attached' });
}

/**
 * The movies behind a number: a click on a bar of the company chart, a click on a row of its
 * table, and Enter on a row's year button each list as many movies as the row counts.
 */
async function checkMovieLists(page, expected, knownTitle) {
  const target = expected.reduce((a, b) => (Number(b.movies) > Number(a.movies) ? b : a));
  const bar = await page.evaluate((year) => {
    const canvas = document.getElementById('company-chart');
    const chart = window.Chart.getChart(canvas);
    const index = chart.data.labels.map(String).indexOf(year);
    // Revenue: the tallest bar of the year is the easiest to hit.
    const element = chart.getDatasetMeta(1).data[index];
    const box = canvas.getBoundingClientRect();
    return { x: box.left + element.x, y: box.top + (element.y + element.base) / 2 };
  }, target.year);
  await page.mouse.click(bar.x, bar.y);
  const titles = await listedMovies(page, Number(target.movies));
  assert.ok(titles.includes(knownTitle), `the bar of ${target.year} lists ${knownTitle}: ${titles}`);
  assert.match(await page.textContent('#movies-title'), new RegExp(target.year));
  await page.screenshot({ path: path.join(artifacts, 'dashboard-movies.png') });
  await closeMovies(page);

  const other = expected.find((r) => r !== target);
  const rowIndex = expected.indexOf(other);
  await page.click(`#company-table tbody tr:nth-child(${rowIndex + 1}) td:nth-child(2)`);
  await listedMovies(page, Number(other.movies));
  await page.click('#movies-close');
  await page.waitForSelector('#movies-dialog:not([open])', { state: 'attached' });

  const button = page.locator(`#company-table tbody tr:nth-child(${expected.indexOf(target) + 1}) button.open-movies`);
  await button.focus();
  await page.keyboard.press('Enter');
  await listedMovies(page, Number(target.movies));
  await closeMovies(page);
  assert.equal(await page.evaluate(() => document.activeElement.className), 'open-movies',
    'closing the list gives the focus back to the row that opened it');
}

/** Waits for the table `selector` to hold `count` rows and returns its cells (data-value and text). */
async function ratingCells(page, selector, count) {
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(`${sel} tbody tr`).length === n,
    [selector, count]);
  return page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((tr) => [...tr.cells].map((td) => ({ value: td.dataset.value, text: td.textContent }))));
}

const ratingColumns = ['year', 'rated_movies', 'ratings', 'avg_rating'];

/** A rating table's cells against report rows (CSV text values) and the API's rows. */
function expectRatingCells(cells, csvRows, apiRows, what) {
  assert.equal(cells.length, csvRows.length, `${what}: one table row per report row`);
  assert.equal(apiRows.length, csvRows.length, `${what}: the API answers the report's rows`);
  csvRows.forEach((row, i) => {
    ratingColumns.forEach((col, j) => {
      assert.equal(cells[i][j].value, row[col], `${what} ${row.year} ${col}: the report's`);
      assert.equal(cells[i][j].value, String(apiRows[i][col]), `${what} ${row.year} ${col}: the API's`);
    });
    assert.equal(cells[i][2].text, integer.format(Number(row.ratings)), `${what} ${row.year} ratings as shown`);
    assert.equal(cells[i][3].text, row.avg_rating, `${what} ${row.year} avg_rating as shown: its four decimals`);
  });
}

/**
 * The ratings of a generated archive: the panel starts on the genre with the most ratings, its
 * chart and table hold that genre's rows of genre_rating_yearly.csv (and of the API); another
 * genre picked shows its own; a company's rating rows show on its view.
 */
async function checkRatings(context, base, results) {
  const genreRows = parseCsv(fs.readFileSync(path.join(results, 'genre_rating_yearly.csv'), 'utf8'));
  const companyRows = parseCsv(fs.readFileSync(path.join(results, 'company_rating_yearly.csv'), 'utf8'));
  assert.ok(genreRows.length > 50 && companyRows.length > 50, 'the generated archive rates many groups');
  const byGenre = new Map();
  for (const row of genreRows) {
    if (!byGenre.has(row.genre_id)) byGenre.set(row.genre_id, []);
    byGenre.get(row.genre_id).push(row);
  }
  const total = (rows) => rows.reduce((n, r) => n + Number(r.ratings), 0);
  // The dashboard's order: most ratings first, then by id.
  const genres = [...byGenre].sort((a, b) => total(b[1]) - total(a[1]) || a[0] - b[0]);

  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`); });
  await page.setViewportSize({ width: 1360, height: 900 });
  const byCompany = new Map();
  for (const row of companyRows) {
    if (!byCompany.has(row.company_id)) byCompany.set(row.company_id, []);
    byCompany.get(row.company_id).push(row);
  }
  const [companyId, companyExpected] = [...byCompany].sort((a, b) => b[1].length - a[1].length || a[0] - b[0])[0];
  await page.goto(`${base}/#company=${companyId}`);

  for (const [i, [genreId, expected]] of [genres[0], genres[1]].entries()) {
    if (i > 0) await page.selectOption('#rating-genre-select', genreId);
    await page.waitForSelector(`#rating-table[data-genre-id="${genreId}"]`);
    const cells = await ratingCells(page, '#rating-table', expected.length);
    const api = await (await fetch(`${base}/api/genres/${genreId}/ratings`)).json();
    expectRatingCells(cells, expected, api.rows, `genre ${genreId}`);
    assert.equal(await page.$eval('#rating-genre-select', (s) => s.value), genreId, 'the picker shows the genre');
    const chart = await page.evaluate(() => {
      const c = window.Chart.getChart(document.getElementById('rating-chart'));
      return c ? { labels: c.data.labels.map(String), avg: c.data.datasets[0].data, ratings: c.data.datasets[1].data } : null;
    });
    assert.ok(chart, 'a chart is drawn on the rating canvas');
    const years = continuousYears(expected);
    const byYear = new Map(expected.map((r) => [r.year, r]));
    assert.deepEqual(chart.labels, years, 'rating chart years: every year from the first to the last');
    assert.deepEqual(chart.avg, years.map((y) => (byYear.has(y) ? Number(byYear.get(y).avg_rating) : null)),
      'rating chart: the average ratings');
    assert.deepEqual(chart.ratings, years.map((y) => (byYear.has(y) ? Number(byYear.get(y).ratings) : null)),
      'rating chart: the numbers of ratings');
    assert.match(await page.textContent('#rating-summary'), new RegExp(`^${integer.format(total(expected))} ratings? of `));
    if (i === 0) {
      assert.equal(await page.getAttribute('#ratings-panel', 'data-state'), 'loaded');
      assert.ok(await page.isHidden('#ratings-empty'), 'no "no ratings" notice with ratings loaded');
    }
  }

  await page.waitForSelector(`#company-ratings-table[data-company-id="${companyId}"]`);
  const companyCells = await ratingCells(page, '#company-ratings-table', companyExpected.length);
  const companyApi = await (await fetch(`${base}/api/companies/${companyId}/ratings`)).json();
  expectRatingCells(companyCells, companyExpected, companyApi.rows, `company ${companyId}`);
  assert.ok(await page.isVisible('#company-ratings-table'), 'the company ratings table shows');
  assert.match(await page.textContent('#company-ratings-note'),
    new RegExp(`^${integer.format(total(companyExpected))} ratings? of `));

  await page.screenshot({ path: path.join(artifacts, 'dashboard-ratings.png'), fullPage: true });
  await page.locator('#ratings-panel').screenshot({ path: path.join(artifacts, 'dashboard-ratings-panel.png') });
  assert.deepEqual(problems, [], 'no console errors with ratings');
  await page.close();
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const tmpRoot = path.join(path.dirname(path.resolve(binary)), 'test-tmp');
  fs.mkdirSync(tmpRoot, { recursive: true });
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'browser-'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'marquee-chromium-'));
  let server = null;
  let ratedServer = null;
  let context = null;
  try {
    fs.mkdirSync(path.join(dir, 'data'));
    fs.copyFileSync(path.join(golden, 'movies_metadata.csv'), path.join(dir, 'data/movies_metadata.csv'));
    const workdir = path.join(dir, 'work');
    const run = spawnSync(binary, ['run', path.join(dir, 'data'), '--workdir', workdir, '--max-reject-ratio', '0.05'],
      { encoding: 'utf8' });
    assert.equal(run.status, 0, `marquee run failed:\n${run.stdout}${run.stderr}`);

    // The company with the most years in the report, so that the chart has something to show.
    const yearly = parseCsv(fs.readFileSync(path.join(golden, 'expected/company_yearly.csv'), 'utf8'));
    const popular = parseCsv(fs.readFileSync(path.join(golden, 'expected/most_popular_genre_by_year.csv'), 'utf8'));
    const byCompany = new Map();
    for (const row of yearly) {
      if (!byCompany.has(row.company_id)) byCompany.set(row.company_id, []);
      byCompany.get(row.company_id).push(row);
    }
    const [id, expected] = [...byCompany].sort((a, b) => b[1].length - a[1].length || a[0] - b[0])[0];
    const company = { id, name: expected[0].company_name };
    // Paramount Pictures (company 4) has the most years in the fixture; Clueless is one of its
    // movies of 1995, its year with the most movies.
    assert.equal(company.name, 'Paramount Pictures', 'the fixture still picks Paramount Pictures');
    const knownTitle = 'Clueless';

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let serverLog = '';
    server = spawn(binary, ['serve', '--workdir', workdir, '--host', '127.0.0.1', '--port', String(port),
      '--threads', '4'], { env: { ...process.env, MARQUEE_NODE_MODULES: nodeModules } });
    server.stdout.on('data', (d) => { serverLog += d; });
    server.stderr.on('data', (d) => { serverLog += d; });
    await waitForHealth(base, server);

    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic'],
    });

    // 1. With charts.
    const { page, problems } = await checkDashboard(context, base, company, expected);
    const chart = await page.evaluate(() => {
      const canvas = document.getElementById('company-chart');
      const c = window.Chart && window.Chart.getChart(canvas);
      return {
        visible: canvas.offsetWidth > 0 && canvas.offsetHeight > 0,
        labels: c ? c.data.labels.map(String) : null,
        budget: c ? c.data.datasets[0].data : null,
        revenue: c ? c.data.datasets[1].data : null,
        profit: c ? c.data.datasets[2].data : null,
      };
    });
    assert.ok(chart.visible, 'the company chart canvas is visible');
    assert.ok(chart.labels, 'a chart is drawn on the company canvas');
    const num = (v) => (v === '' ? null : Number(v));
    // A continuous year axis: a year without movies is a gap (null), not skipped.
    const years = continuousYears(expected);
    const byYear = new Map(expected.map((r) => [r.year, r]));
    const gaps = years.filter((y) => !byYear.has(y));
    assert.ok(gaps.length > 0, `the fixture's company ${company.name} has a year without movies`);
    assert.deepEqual(chart.labels, years, 'chart years: every year from the first to the last');
    const series = (key) => years.map((y) => (byYear.has(y) ? num(byYear.get(y)[key]) : null));
    assert.deepEqual(chart.budget, series('total_budget'), 'chart budgets');
    assert.deepEqual(chart.revenue, series('total_revenue'), 'chart revenues');
    assert.deepEqual(chart.profit, series('total_profit'), 'chart profits');
    for (const gap of gaps) {
      const i = years.indexOf(gap);
      assert.deepEqual([chart.budget[i], chart.revenue[i], chart.profit[i]], [null, null, null], `gap ${gap}`);
    }

    await checkMovieLists(page, expected, knownTitle);

    await page.waitForFunction((n) => document.querySelectorAll('#popular-timeline li').length === n, popular.length);
    const timeline = await page.$$eval('#popular-timeline li', (items) =>
      items.map((li) => [li.querySelector('.year').textContent, li.querySelector('.genre').textContent]));
    assert.deepEqual(timeline, popular.map((r) => [r.year, r.genre_name]), 'most popular genre timeline');
    await page.waitForSelector('#genre-table tbody tr');
    assert.ok(await page.evaluate(() => !!window.Chart.getChart(document.getElementById('genre-chart'))),
      'genre chart drawn');
    assert.ok(await page.isHidden('#charts-unavailable'), 'no charts-unavailable notice');
    // The golden fixture has no ratings: the panel says so instead of an empty chart.
    await page.waitForSelector('#ratings-panel[data-state="empty"]');
    assert.ok(await page.isVisible('#ratings-empty'), 'the "no ratings loaded" notice shows');
    assert.match(await page.textContent('#ratings-empty'), /No ratings loaded/);
    assert.ok(await page.isHidden('#rating-chart'), 'no empty rating chart');
    assert.ok(await page.isHidden('#rating-table'), 'no empty rating table');
    await page.waitForFunction(() => document.getElementById('company-ratings-note').textContent !== '');
    assert.match(await page.textContent('#company-ratings-note'), /^No ratings loaded/);
    assert.ok(await page.isHidden('#company-ratings-table'), 'no empty company ratings table');
    await page.locator('#ratings-panel').screenshot({ path: path.join(artifacts, 'dashboard-no-ratings.png') });
    await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no console errors, page errors or external requests');
    await page.close();

    // 2. A phone: 390 px wide, no horizontal page scroll (tables scroll inside their box), charts
    // as wide as the page, and the list of movies fits too.
    const phone = await checkDashboard(context, base, company, expected, { viewport: { width: 390, height: 844 } });
    await phone.page.waitForSelector('#genre-table tbody tr');
    const widths = await phone.page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      chart: document.getElementById('company-chart').getBoundingClientRect().width,
      table: document.querySelector('#company-table').closest('.table-wrap').getBoundingClientRect().right,
    }));
    assert.ok(widths.page <= 390, `no horizontal page scroll at 390 px: scrollWidth ${widths.page}`);
    assert.ok(widths.chart > 200 && widths.chart <= 390, `the company chart resizes to the phone: ${widths.chart}`);
    assert.ok(widths.table <= 390, `the company table's box stays on the page: ${widths.table}`);
    await phone.page.screenshot({ path: path.join(artifacts, 'dashboard-phone.png'), fullPage: true });
    await phone.page.click('#company-table tbody tr:first-child button.open-movies');
    await listedMovies(phone.page, Number(expected[0].movies));
    const dialogRight = await phone.page.evaluate(() => document.getElementById('movies-dialog').getBoundingClientRect().right);
    assert.ok(dialogRight <= 390, `the list of movies fits the phone: right edge ${dialogRight}`);
    assert.ok(await phone.page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'no page scroll with the list open');
    await phone.page.screenshot({ path: path.join(artifacts, 'dashboard-phone-movies.png') });
    assert.deepEqual(phone.problems, [], 'no console errors on the phone');
    await phone.page.close();

    // 3. Without chart.js the tables still show the numbers and the page says why charts are missing.
    const bare = await checkDashboard(context, base, company, expected, { withoutCharts: true });
    assert.ok(await bare.page.isVisible('#charts-unavailable'), 'the charts-unavailable notice shows');
    assert.ok(await bare.page.isHidden('#company-chart'), 'no empty chart box');
    await bare.page.screenshot({ path: path.join(artifacts, 'dashboard-no-charts.png'), fullPage: true });
    const realProblems = bare.problems.filter((p) => !p.includes('status of 404') && !p.includes('chart.umd.js'));
    assert.deepEqual(realProblems, [], 'no errors besides the missing chart.js');

    // 5. Ratings: a generated archive with ratings.csv and links.csv, run and served by a second server.
    const archive = path.join(dir, 'generated.zip');
    const generate = spawnSync(binary, ['generate', '--scale', '0.01', '--seed', '13', '--ratings-scale', '0.0004',
      '--out', archive], { encoding: 'utf8' });
    assert.equal(generate.status, 0, `marquee generate failed:\n${generate.stdout}${generate.stderr}`);
    const ratedWorkdir = path.join(dir, 'rated');
    const ratedRun = spawnSync(binary, ['run', archive, '--workdir', ratedWorkdir], { encoding: 'utf8' });
    assert.equal(ratedRun.status, 0, `marquee run of the generated archive failed:\n${ratedRun.stdout}${ratedRun.stderr}`);
    const ratedPort = await freePort();
    const ratedBase = `http://127.0.0.1:${ratedPort}`;
    let ratedLog = '';
    ratedServer = spawn(binary, ['serve', '--workdir', ratedWorkdir, '--host', '127.0.0.1', '--port', String(ratedPort),
      '--threads', '2'], { env: { ...process.env, MARQUEE_NODE_MODULES: nodeModules } });
    ratedServer.stdout.on('data', (d) => { ratedLog += d; });
    ratedServer.stderr.on('data', (d) => { ratedLog += d; });
    await waitForHealth(ratedBase, ratedServer);
    await checkRatings(context, ratedBase, path.join(ratedWorkdir, 'movie_results'));
    ratedServer.kill('SIGTERM');
    assert.equal(await waitForExit(ratedServer, 10000), 0, `the second marquee serve after SIGTERM\n${ratedLog}`);
    ratedServer = null;
    await context.close();
    context = null;

    // 4. SIGTERM: a clean stop, logged, and every request was logged with its status and time.
    server.kill('SIGTERM');
    const code = await waitForExit(server, 10000);
    assert.equal(code, 0, `marquee serve exit code after SIGTERM\n${serverLog}`);
    server = null;
    assert.match(serverLog, /SIGTERM/);
    assert.match(serverLog, /GET \/api\/companies\/\d+\/yearly 200 [\d.]+ ms/);
    console.log(`dashboard browser test passed; screenshots in ${artifacts}`);
  } finally {
    if (context) await context.close().catch(() => {});
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (ratedServer && ratedServer.exitCode === null) ratedServer.kill('SIGKILL');
    fs.rmSync(profile, { recursive: true, force: true });
    if (!process.env.MARQUEE_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`dashboard browser test failed: ${err.stack || err}`);
  process.exit(1);
});
