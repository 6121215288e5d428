// The marquee dashboard: plain DOM and fetch against this server's API; chart.js when present.

const hasCharts = typeof window.Chart !== 'undefined';
const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const charts = {};

const colors = {
  budget: '#5b8def',
  revenue: '#2fb383',
  profit: '#f0a430',
  loss: '#e5534b',
};
const genrePalette = ['#5b8def', '#2fb383', '#f0a430', '#e5534b', '#9b6ef3', '#2bb3c0', '#d9658f', '#8a9a3b',
  '#c17d3c', '#4f6fb8', '#3c9d5d', '#b8505b', '#7d7f8c', '#d4b13f', '#6b4fa8', '#36a3d9', '#a15c2d',
  '#5a8f7b', '#c46bb8', '#8c6d3f'];

function $(id) { return document.getElementById(id); }

async function api(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

function cell(row, text, { value, className } = {}) {
  const td = document.createElement('td');
  td.textContent = text;
  if (value !== undefined) td.dataset.value = value === null ? '' : String(value);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function money(v) { return v === null ? '—' : integer.format(v); }

function genreColor(id) { return genrePalette[Math.abs(id) % genrePalette.length]; }

function showError(target, err) {
  target.textContent = `Could not load: ${err.message}`;
  target.classList.add('error');
}

function moneyChart(canvasId, rows) {
  if (!hasCharts) return;
  charts[canvasId]?.destroy();
  const years = rows.map((r) => r.year);
  charts[canvasId] = new window.Chart($(canvasId), {
    data: {
      labels: years,
      datasets: [
        { type: 'bar', label: 'Budget', data: rows.map((r) => r.total_budget), backgroundColor: colors.budget },
        { type: 'bar', label: 'Revenue', data: rows.map((r) => r.total_revenue), backgroundColor: colors.revenue },
        {
          type: 'bar', label: 'Profit', data: rows.map((r) => r.total_profit),
          backgroundColor: rows.map((r) => (r.total_profit < 0 ? colors.loss : colors.profit)),
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        y: { ticks: { callback: (v) => `$${compact.format(v)}` } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: (ctx) => `${ctx.dataset.label}: ${ctx.raw === null ? 'unknown' : '$' + integer.format(ctx.raw)}`,
          },
        },
      },
    },
  });
}

// --- Production company --------------------------------------------------------------------

let searchSerial = 0;
let selectedCompany = null;

async function searchCompanies(text) {
  const serial = ++searchSerial;
  const params = new URLSearchParams({ sort: 'movies', limit: '25' });
  if (text) params.set('search', text);
  const list = $('company-results');
  try {
    const body = await api(`/api/companies?${params}`);
    if (serial !== searchSerial) return; // a newer search answered first
    list.replaceChildren();
    for (const c of body.items) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.companyId = c.id;
      button.setAttribute('role', 'option');
      button.setAttribute('aria-selected', String(c.id === selectedCompany));
      const name = document.createElement('span');
      name.textContent = c.name;
      const count = document.createElement('span');
      count.className = 'count';
      count.textContent = `${c.movies} ${c.movies === 1 ? 'movie' : 'movies'}`;
      button.append(name, count);
      button.addEventListener('click', () => selectCompany(c.id));
      li.appendChild(button);
      list.appendChild(li);
    }
    $('company-results-note').textContent = body.total > body.items.length
      ? `${body.items.length} of ${integer.format(body.total)} shown, most movies first`
      : (body.total === 0 ? 'No company matches.' : '');
  } catch (err) {
    showError($('company-results-note'), err);
  }
}

async function selectCompany(id) {
  selectedCompany = id;
  for (const b of document.querySelectorAll('#company-results button')) {
    b.setAttribute('aria-selected', String(Number(b.dataset.companyId) === id));
  }
  history.replaceState(null, '', `#company=${id}`);
  try {
    const [yearly, genres] = await Promise.all([
      api(`/api/companies/${id}/yearly`), api(`/api/companies/${id}/genres`)]);
    if (selectedCompany !== id) return;
    $('company-title').textContent = yearly.company_name;
    const movies = yearly.rows.reduce((n, r) => n + r.movies, 0);
    $('company-summary').textContent = yearly.rows.length === 0
      ? 'No movies with a release year.'
      : `${movies} ${movies === 1 ? 'movie' : 'movies'} with a release year, ${yearly.rows[0].year}–${yearly.rows[yearly.rows.length - 1].year}`;
    renderCompanyTable(id, yearly.rows);
    renderCompanyGenres(genres.rows);
    moneyChart('company-chart', yearly.rows);
  } catch (err) {
    showError($('company-summary'), err);
  }
}

function renderCompanyTable(id, rows) {
  const table = $('company-table');
  table.dataset.companyId = id;
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    cell(tr, r.year, { value: r.year });
    cell(tr, integer.format(r.movies), { value: r.movies });
    cell(tr, money(r.total_budget), { value: r.total_budget });
    cell(tr, r.budget_movies, { value: r.budget_movies, className: 'n' });
    cell(tr, money(r.total_revenue), { value: r.total_revenue });
    cell(tr, r.revenue_movies, { value: r.revenue_movies, className: 'n' });
    cell(tr, money(r.total_profit), { value: r.total_profit, className: r.total_profit < 0 ? 'loss' : '' });
    cell(tr, r.profit_movies, { value: r.profit_movies, className: 'n' });
    cell(tr, r.avg_popularity ?? '—', { value: r.avg_popularity });
    body.appendChild(tr);
  }
}

function renderCompanyGenres(rows) {
  const byYear = new Map();
  for (const r of rows) {
    if (!byYear.has(r.year)) byYear.set(r.year, []);
    byYear.get(r.year).push(r);
  }
  const body = $('company-genres-table').tBodies[0];
  body.replaceChildren();
  for (const [year, list] of byYear) {
    const tr = document.createElement('tr');
    cell(tr, year, { value: year });
    const td = cell(tr, '', { className: 'text' });
    for (const r of list) {
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.textContent = `${r.genre_name} ${r.releases}`;
      chip.style.setProperty('--chip', genreColor(r.genre_id));
      td.appendChild(chip);
    }
    body.appendChild(tr);
  }
}

// --- Most popular genre per year ---------------------------------------------------------------

async function loadPopular() {
  try {
    const body = await api('/api/genres/most-popular');
    const list = $('popular-timeline');
    list.replaceChildren();
    for (const r of body.rows) {
      const li = document.createElement('li');
      li.style.setProperty('--chip', genreColor(r.genre_id));
      li.title = `${r.year}: ${r.genre_name}, average popularity ${r.avg_popularity ?? 'unknown'} over ${r.movies} movies`;
      const year = document.createElement('span');
      year.className = 'year';
      year.textContent = r.year;
      const genre = document.createElement('span');
      genre.className = 'genre';
      genre.textContent = r.genre_name;
      li.append(year, genre);
      list.appendChild(li);
    }
    if (!hasCharts) return;
    charts.popular?.destroy();
    charts.popular = new window.Chart($('popular-chart'), {
      type: 'bar',
      data: {
        labels: body.rows.map((r) => r.year),
        datasets: [{
          label: 'Average popularity of the most popular genre',
          data: body.rows.map((r) => (r.avg_popularity === null ? null : Number(r.avg_popularity))),
          backgroundColor: body.rows.map((r) => genreColor(r.genre_id)),
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const r = body.rows[ctx.dataIndex];
                return `${r.genre_name}: ${r.avg_popularity ?? 'unknown'} (${r.movies} movies)`;
              },
            },
          },
        },
      },
    });
  } catch (err) {
    showError($('popular-timeline'), err);
  }
}

// --- Genre over the years ----------------------------------------------------------------------

async function loadGenres() {
  const select = $('genre-select');
  try {
    const body = await api('/api/genres');
    const genres = body.items.filter((g) => g.movies > 0).sort((a, b) => b.movies - a.movies);
    select.replaceChildren();
    for (const g of genres) {
      const option = document.createElement('option');
      option.value = g.id;
      option.textContent = `${g.name} (${g.movies})`;
      select.appendChild(option);
    }
    select.addEventListener('change', () => selectGenre(Number(select.value)));
    if (genres.length > 0) selectGenre(genres[0].id);
  } catch (err) {
    showError($('genre-table').tBodies[0], err);
  }
}

async function selectGenre(id) {
  try {
    const body = await api(`/api/genres/yearly?genre=${id}`);
    const table = $('genre-table');
    table.dataset.genreId = id;
    const tbody = table.tBodies[0];
    tbody.replaceChildren();
    for (const r of body.rows) {
      const tr = document.createElement('tr');
      cell(tr, r.year, { value: r.year });
      cell(tr, integer.format(r.movies), { value: r.movies });
      cell(tr, r.popularity_rank, { value: r.popularity_rank });
      cell(tr, money(r.total_budget), { value: r.total_budget });
      cell(tr, money(r.total_revenue), { value: r.total_revenue });
      cell(tr, money(r.total_profit), { value: r.total_profit, className: r.total_profit < 0 ? 'loss' : '' });
      cell(tr, r.avg_popularity ?? '—', { value: r.avg_popularity });
      tbody.appendChild(tr);
    }
    moneyChart('genre-chart', body.rows);
  } catch (err) {
    showError($('genre-table').tBodies[0], err);
  }
}

// --- Start ---------------------------------------------------------------------------------------

async function loadStatus() {
  try {
    const health = await api('/health');
    $('status').textContent = health.last_batch_finished_at
      ? `${health.loaded_batches} ${health.loaded_batches === 1 ? 'batch' : 'batches'} loaded, last at ${health.last_batch_finished_at}`
      : 'No data loaded yet';
  } catch (err) {
    showError($('status'), err);
  }
}

function start() {
  if (!hasCharts) {
    $('charts-unavailable').hidden = false;
    document.body.classList.add('no-charts');
  } else {
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = '#4a5160';
  }
  let timer = null;
  $('company-search').addEventListener('input', (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => searchCompanies(e.target.value.trim()), 150);
  });
  loadStatus();
  const wanted = Number(new URLSearchParams(location.hash.slice(1)).get('company'));
  searchCompanies('').then(() => {
    const first = document.querySelector('#company-results button');
    if (wanted > 0) selectCompany(wanted);
    else if (first) selectCompany(Number(first.dataset.companyId));
  });
  loadPopular();
  loadGenres();
}

start();
