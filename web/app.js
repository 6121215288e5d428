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
  rating: '#d9822b',
  ratings: '#b9cdf6',
};
const genrePalette = ['#5b8def', '#2fb383', '#f0a430', '#e5534b', '#9b6ef3', '#2bb3c0', '#d9658f', '#8a9a3b',
  '#c17d3c', '#4f6fb8', '#3c9d5d', '#b8505b', '#7d7f8c', '#d4b13f', '#6b4fa8', '#36a3d9', '#a15c2d',
  '#5a8f7b', '#c46bb8', '#8c6d3f'];

function $(id) { return document.getElementById(id); }

/** The genre list, fetched once: the genre pickers, and whether any ratings are loaded. */
let genreList = null;
function fetchGenres() {
  genreList ??= api('/api/genres');
  return genreList;
}

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

/**
 * Every year from the first row's to the last row's, each with its row or null: a year without
 * movies is a gap on the axis, not skipped (rows are in year order, one per year).
 */
function continuousYears(rows) {
  if (rows.length === 0) return [];
  const byYear = new Map(rows.map((r) => [r.year, r]));
  const out = [];
  for (let y = rows[0].year; y <= rows[rows.length - 1].year; y++) out.push({ year: y, row: byYear.get(y) ?? null });
  return out;
}

/** A chart.js onClick that opens the movies of the clicked year's row (gaps do nothing). */
function clickOpens(series, open) {
  return (event, elements) => {
    const hit = elements[0];
    const row = hit ? series[hit.index].row : null;
    if (row) open(row);
  };
}

function moneyChart(canvasId, rows, open) {
  if (!hasCharts) return;
  charts[canvasId]?.destroy();
  const series = continuousYears(rows);
  const value = (key) => series.map((s) => (s.row ? s.row[key] : null));
  charts[canvasId] = new window.Chart($(canvasId), {
    data: {
      labels: series.map((s) => s.year),
      datasets: [
        { type: 'bar', label: 'Budget', data: value('total_budget'), backgroundColor: colors.budget },
        { type: 'bar', label: 'Revenue', data: value('total_revenue'), backgroundColor: colors.revenue },
        {
          type: 'bar', label: 'Profit', data: value('total_profit'),
          backgroundColor: series.map((s) => (s.row?.total_profit < 0 ? colors.loss : colors.profit)),
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      onClick: clickOpens(series, open),
      onHover: (event, elements) => {
        event.native.target.style.cursor = elements[0] && series[elements[0].index].row ? 'pointer' : 'default';
      },
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

// --- The movies behind a number --------------------------------------------------------------

let moviesSerial = 0;
let moviesOpener = null;

/** Opens the list of the movies behind one report row: `path` is its movies route, `title` says which row. */
async function openMovies(path, title) {
  const serial = ++moviesSerial;
  const dialog = $('movies-dialog');
  moviesOpener = document.activeElement;
  $('movies-title').textContent = title;
  $('movies-summary').textContent = 'Loading…';
  $('movies-summary').classList.remove('error');
  const body = $('movies-table').tBodies[0];
  body.replaceChildren();
  $('movies-table').removeAttribute('data-count');
  if (!dialog.open) dialog.showModal();
  try {
    const list = await api(path);
    if (serial !== moviesSerial) return;
    for (const m of list.rows) {
      const tr = document.createElement('tr');
      tr.dataset.movieId = m.id;
      cell(tr, m.title ?? '(untitled)', { className: 'text' });
      cell(tr, m.release_date ?? '—');
      cell(tr, money(m.budget), { value: m.budget });
      cell(tr, money(m.revenue), { value: m.revenue });
      cell(tr, m.popularity ?? '—', { value: m.popularity });
      body.appendChild(tr);
    }
    $('movies-summary').textContent = `${list.count} ${list.count === 1 ? 'movie' : 'movies'}, most popular first`;
    $('movies-table').dataset.count = list.count;
  } catch (err) {
    if (serial === moviesSerial) showError($('movies-summary'), err);
  }
}

function setUpMoviesDialog() {
  const dialog = $('movies-dialog');
  $('movies-close').addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the dialog's box) closes it too; Escape does natively.
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => {
    ++moviesSerial;
    if (moviesOpener && document.contains(moviesOpener)) moviesOpener.focus();
  });
}

/** A year cell holding a button, so that a row opens its movies from the keyboard too. */
function yearCell(tr, year, label, open) {
  const td = cell(tr, '', { value: year });
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'open-movies';
  button.textContent = year;
  button.setAttribute('aria-label', label);
  td.appendChild(button);
  tr.classList.add('opens');
  tr.addEventListener('click', open);
  return td;
}

function companyRowOpener(id, name) {
  return (r) => openMovies(`/api/companies/${id}/movies?year=${r.year}`, `${name}, ${r.year}`);
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
    const [yearly, genres, ratings] = await Promise.all([
      api(`/api/companies/${id}/yearly`), api(`/api/companies/${id}/genres`), api(`/api/companies/${id}/ratings`)]);
    if (selectedCompany !== id) return;
    $('company-title').textContent = yearly.company_name;
    const movies = yearly.rows.reduce((n, r) => n + r.movies, 0);
    $('company-summary').textContent = yearly.rows.length === 0
      ? 'No movies with a release year.'
      : `${movies} ${movies === 1 ? 'movie' : 'movies'} with a release year, ${yearly.rows[0].year}–${yearly.rows[yearly.rows.length - 1].year}`;
    const open = companyRowOpener(id, yearly.company_name);
    renderCompanyTable(id, yearly.rows, open);
    renderCompanyGenres(id, yearly.company_name, genres.rows);
    renderCompanyRatings(id, ratings.rows);
    moneyChart('company-chart', yearly.rows, open);
  } catch (err) {
    showError($('company-summary'), err);
  }
}

function renderCompanyTable(id, rows, open) {
  const table = $('company-table');
  table.dataset.companyId = id;
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    yearCell(tr, r.year, `Movies of ${r.year}`, () => open(r));
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

function renderCompanyGenres(id, name, rows) {
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
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = 'chip';
      chip.textContent = `${r.genre_name} ${r.releases}`;
      chip.setAttribute('aria-label', `${r.genre_name} movies of ${r.year}`);
      chip.style.setProperty('--chip', genreColor(r.genre_id));
      chip.addEventListener('click', () => openMovies(
        `/api/companies/${id}/movies?year=${r.year}&genre=${r.genre_id}`, `${name}, ${r.genre_name}, ${r.year}`));
      td.appendChild(chip);
    }
    body.appendChild(tr);
  }
}

async function renderCompanyRatings(id, rows) {
  const table = $('company-ratings-table');
  table.dataset.companyId = id;
  renderRatingTable(table, rows);
  table.closest('.table-wrap').hidden = rows.length === 0;
  const note = $('company-ratings-note');
  note.classList.remove('error');
  if (rows.length > 0) {
    note.textContent = ratingSummary(rows, 'of its movies');
    return;
  }
  note.textContent = '';
  const loaded = await ratingsLoaded().catch(() => true);
  if (selectedCompany !== id) return;
  note.textContent = loaded ? 'None of its movies with a release year has a rating.' : kNoRatings;
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
      const button = document.createElement('button');
      button.type = 'button';
      button.setAttribute('aria-label', `${r.genre_name} movies of ${r.year}`);
      button.append(year, genre);
      button.addEventListener('click', () => openPopular(r));
      li.appendChild(button);
      list.appendChild(li);
    }
    if (!hasCharts) return;
    charts.popular?.destroy();
    const series = continuousYears(body.rows);
    charts.popular = new window.Chart($('popular-chart'), {
      type: 'bar',
      data: {
        labels: series.map((s) => s.year),
        datasets: [{
          label: 'Average popularity of the most popular genre',
          data: series.map((s) => (s.row?.avg_popularity == null ? null : Number(s.row.avg_popularity))),
          backgroundColor: series.map((s) => (s.row ? genreColor(s.row.genre_id) : 'transparent')),
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        onClick: clickOpens(series, openPopular),
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const r = series[ctx.dataIndex].row;
                return r ? `${r.genre_name}: ${r.avg_popularity ?? 'unknown'} (${r.movies} movies)` : 'no movies';
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

function openPopular(r) {
  openMovies(`/api/genres/${r.genre_id}/movies?year=${r.year}`, `${r.genre_name}, ${r.year}`);
}

// --- Genre over the years ----------------------------------------------------------------------

async function loadGenres() {
  const select = $('genre-select');
  try {
    const body = await fetchGenres();
    const genres = body.items.filter((g) => g.movies > 0).sort((a, b) => b.movies - a.movies);
    select.replaceChildren();
    for (const g of genres) {
      const option = document.createElement('option');
      option.value = g.id;
      option.textContent = `${g.name} (${g.movies})`;
      option.dataset.name = g.name;
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
    const name = $('genre-select').selectedOptions[0]?.dataset.name ?? `genre ${id}`;
    const open = (r) => openMovies(`/api/genres/${id}/movies?year=${r.year}`, `${name}, ${r.year}`);
    for (const r of body.rows) {
      const tr = document.createElement('tr');
      yearCell(tr, r.year, `${name} movies of ${r.year}`, () => open(r));
      cell(tr, integer.format(r.movies), { value: r.movies });
      cell(tr, r.popularity_rank, { value: r.popularity_rank });
      cell(tr, money(r.total_budget), { value: r.total_budget });
      cell(tr, money(r.total_revenue), { value: r.total_revenue });
      cell(tr, money(r.total_profit), { value: r.total_profit, className: r.total_profit < 0 ? 'loss' : '' });
      cell(tr, r.avg_popularity ?? '—', { value: r.avg_popularity });
      tbody.appendChild(tr);
    }
    moneyChart('genre-chart', body.rows, open);
  } catch (err) {
    showError($('genre-table').tBodies[0], err);
  }
}

// --- Ratings per year --------------------------------------------------------------------------

const kNoRatings = 'No ratings loaded: this database holds no MovieLens ratings of movies with a release year.';
let ratingSerial = 0;

/** Whether any genre's movies have ratings: genre_rating_yearly has rows. */
async function ratingsLoaded() {
  const body = await fetchGenres();
  return body.items.some((g) => g.ratings > 0);
}

/** "1,234 ratings of 56 movies, 1990–2017" over rating report rows (in year order). */
function ratingSummary(rows, what) {
  const ratings = rows.reduce((n, r) => n + r.ratings, 0);
  const movies = rows.reduce((n, r) => n + r.rated_movies, 0);
  return `${integer.format(ratings)} ${ratings === 1 ? 'rating' : 'ratings'} of ${integer.format(movies)} ` +
    `${what}, ${rows[0].year}–${rows[rows.length - 1].year}`;
}

function renderRatingTable(table, rows) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    cell(tr, r.year, { value: r.year });
    cell(tr, integer.format(r.rated_movies), { value: r.rated_movies });
    cell(tr, integer.format(r.ratings), { value: r.ratings });
    cell(tr, r.avg_rating ?? '—', { value: r.avg_rating });
    body.appendChild(tr);
  }
}

/** The mean rating per year as a line over the number of ratings as bars, on their own axes. */
function ratingChart(canvasId, rows) {
  if (!hasCharts) return;
  charts[canvasId]?.destroy();
  const series = continuousYears(rows);
  charts[canvasId] = new window.Chart($(canvasId), {
    data: {
      labels: series.map((s) => s.year),
      datasets: [
        {
          type: 'line', label: 'Average rating', yAxisID: 'stars',
          data: series.map((s) => (s.row?.avg_rating == null ? null : Number(s.row.avg_rating))),
          borderColor: colors.rating, backgroundColor: colors.rating, borderWidth: 2, pointRadius: 2, spanGaps: false,
        },
        {
          type: 'bar', label: 'Ratings', yAxisID: 'count',
          data: series.map((s) => (s.row ? s.row.ratings : null)),
          backgroundColor: colors.ratings,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        stars: {
          position: 'left', min: 0, max: 5,
          title: { display: true, text: 'Average rating (stars)' },
        },
        count: {
          position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
          title: { display: true, text: 'Ratings' },
          ticks: { callback: (v) => compact.format(v) },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const r = series[ctx.dataIndex].row;
              if (!r) return `${ctx.dataset.label}: none`;
              return ctx.dataset.yAxisID === 'stars'
                ? `Average rating: ${r.avg_rating}`
                : `Ratings: ${integer.format(r.ratings)} of ${integer.format(r.rated_movies)} movies`;
            },
          },
        },
      },
    },
  });
}

async function loadRatings() {
  const select = $('rating-genre-select');
  try {
    const body = await fetchGenres();
    const rated = body.items.filter((g) => g.ratings > 0).sort((a, b) => b.ratings - a.ratings || a.id - b.id);
    $('ratings-panel').dataset.state = rated.length > 0 ? 'loaded' : 'empty';
    $('ratings-empty').hidden = rated.length > 0;
    $('ratings-body').hidden = rated.length === 0;
    if (rated.length === 0) return;
    select.replaceChildren();
    for (const g of rated) {
      const option = document.createElement('option');
      option.value = g.id;
      option.textContent = `${g.name} (${integer.format(g.ratings)} ${g.ratings === 1 ? 'rating' : 'ratings'})`;
      select.appendChild(option);
    }
    select.addEventListener('change', () => selectRatingGenre(Number(select.value)));
    selectRatingGenre(rated[0].id);
  } catch (err) {
    showError($('rating-summary'), err);
  }
}

async function selectRatingGenre(id) {
  const serial = ++ratingSerial;
  const summary = $('rating-summary');
  try {
    const body = await api(`/api/genres/${id}/ratings`);
    if (serial !== ratingSerial) return; // a newer choice answered first
    summary.classList.remove('error');
    summary.textContent = body.rows.length > 0
      ? ratingSummary(body.rows, `${body.genre_name} movies`)
      : `No ${body.genre_name} movie has a rating.`;
    const table = $('rating-table');
    table.dataset.genreId = id;
    renderRatingTable(table, body.rows);
    ratingChart('rating-chart', body.rows);
  } catch (err) {
    if (serial === ratingSerial) showError(summary, err);
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
  setUpMoviesDialog();
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
  loadRatings();
}

start();
