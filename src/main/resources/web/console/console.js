// The supervisors' console: live calls, watching one, and the archive. Plain DOM code; everything it
// reads comes from Parley's staff API with the session cookie, and changes carry the CSRF token.
'use strict';

const $ = (selector) => document.querySelector(selector);
const WATCH_TYPES = 'session.created,session.joined,transcript.partial,transcript.final,translation.final,'
  + 'warning,error,audio.paused,audio.resumed,session.closed';
// Who paused or resumed a recording, as audio.paused and audio.resumed say it (the audit log names the staff member).
const BY = { api: 'Parley: the pause API or this console', client: 'the call platform' };
let me = null;
let liveTimer = null;
let liveStream = null;
let watchStream = null;
let archivePage = 1;
let searches = 0;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v; else if (k === 'text') node.textContent = v; else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) { location.href = '/console'; throw new Error('signed out'); }
  return response;
}

function post(path) {
  return api(path, { method: 'POST', headers: { [me.csrf_header]: me.csrf } });
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function clock(ms) {
  const s = ms / 1000;
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

function metadataText(metadata) {
  return Object.entries(metadata || {}).map(([k, v]) => `${k}=${v}`).join(' ');
}

function channelsText(session) {
  return (session.channels || []).map((c) => {
    const source = (session.channel_sources || {})[c] || session.source;
    const targets = (session.channel_targets || {})[c] || session.targets || [];
    return `${c} ${source}${targets.length ? '→' + targets.join(',') : ''}`;
  }).join('; ');
}

// ---- live calls ----

function health(session) {
  const lag = Math.max(0, ...session.channel_health.map((c) => c.lag_ms));
  const dropped = session.channel_health.reduce((sum, c) => sum + c.dropped_ms, 0);
  const level = session.errors > 0 || dropped > 0 ? 'bad' : lag > 1500 || session.warnings > 0 ? 'warn' : 'ok';
  const text = `lag ${lag} ms · dropped ${dropped} ms · ${session.warnings} warning(s) · ${session.errors} error(s)`
    + (session.last_warning ? ` · last: ${session.last_warning.code}` : '');
  return el('span', { class: level, 'data-level': level, text });
}

async function refreshLive() {
  const body = await (await api('/api/sessions')).json();
  const rows = body.sessions.map((s) => el('tr', { 'data-session': s.id, 'data-ingest': s.ingest },
    el('td', {}, el('a', { href: `#watch/${s.id}`, text: s.id })),
    el('td', { text: s.ingest + (s.record ? '' : ' (not recorded)') }),
    el('td', { text: channelsText(s) }),
    el('td', { text: duration(s.duration_ms) }),
    el('td', { text: metadataText(s.metadata) }),
    el('td', { class: 'health' }, health(s))));
  $('#live-calls tbody').replaceChildren(...rows);
  $('#live-count').textContent = `(${rows.length})`;
  $('#live-empty').hidden = rows.length > 0;
}

function showLive() {
  refreshLive();
  liveTimer = setInterval(refreshLive, 2000);
  liveStream = new EventSource('/api/events?types=session.created,session.joined,warning,error,session.closed');
  liveStream.onmessage = () => refreshLive();
}

// ---- watching a call ----

function lane(channel) {
  let node = document.querySelector(`.lane[data-channel="${CSS.escape(channel)}"]`);
  if (!node) {
    node = el('div', { class: 'lane', 'data-channel': channel }, el('h3', { text: channel }), el('div', { class: 'lines' }));
    $('#lanes').append(node);
  }
  return node.querySelector('.lines');
}

function line(event) {
  const lines = lane(event.channel || 'call');
  let node = lines.querySelector(`.line[data-item="${CSS.escape(event.item_id)}"]`);
  if (!node) {
    node = el('div', { class: 'line partial', 'data-item': event.item_id }, el('span', { class: 'text' }));
    lines.append(node);
  }
  return node;
}

function notice(event) {
  const target = event.channel ? lane(event.channel) : $('#notices');
  target.append(el('div', { class: `notice ${event.type}`, text: `${event.type} ${event.code}: ${event.message}` }));
}

function watchEvent(event) {
  switch (event.type) {
    case 'session.created': {
      const s = event.session;
      (s.channels || []).forEach(lane);
      $('#watch-info').textContent = `${s.ingest} · ${channelsText(s)} · started ${s.started_at} · ${metadataText(s.metadata)}`;
      $('#watch-state').textContent = 'live';
      break;
    }
    case 'session.joined':
      lane(event.channel);
      $('#watch-info').textContent += ` · joined: ${event.channel}`;
      break;
    case 'transcript.partial':
      line(event).querySelector('.text').textContent = event.text;
      break;
    case 'transcript.final': {
      const node = line(event);
      node.classList.remove('partial');
      node.classList.add('final');
      node.querySelector('.text').textContent = event.text;
      break;
    }
    case 'translation.final': {
      const node = line(event);
      let tr = node.querySelector(`.tr[data-lang="${CSS.escape(event.language)}"]`);
      if (!tr) { tr = el('div', { class: 'tr', 'data-lang': event.language }); node.append(tr); }
      tr.textContent = event.text;
      break;
    }
    case 'warning':
    case 'error':
      notice(event);
      break;
    case 'audio.paused':
    case 'audio.resumed':
      $('#notices').append(el('div', { class: 'notice', text: `${event.type} at ${clock(event.at_ms)} (by ${BY[event.by] || event.by})` }));
      showRecording(event.type === 'audio.paused', event.at_ms);
      break;
    case 'session.closed':
      $('#watch-state').textContent = `ended (${event.reason})`;
      $('#controls').hidden = true;
      $('#no-pause').hidden = true;
      watchStream.close();
      break;
    default:
  }
}

function showWatch(id) {
  $('#watch-id').textContent = id;
  $('#lanes').replaceChildren();
  $('#notices').replaceChildren();
  $('#watch-info').textContent = '';
  $('#watch-state').textContent = '';
  $('#control-result').textContent = '';
  $('#controls').hidden = true;
  $('#no-pause').hidden = true;
  showRecording(false, 0);
  watchStream = new EventSource(`/api/events?session=${encodeURIComponent(id)}&types=${WATCH_TYPES}`);
  watchStream.onmessage = (message) => watchEvent(JSON.parse(message.data));
  offerPause(id);
}

// Pause is offered only for a call whose platform can pause its stream (AudioHook); for any other,
// the console says why it cannot be paused instead.
async function offerPause(id) {
  const response = await api(`/api/sessions/${encodeURIComponent(id)}`);
  const body = await response.json();
  if ($('#watch-id').textContent !== id || !response.ok || !body.live || $('#watch-state').textContent.startsWith('ended')) return;
  if (body.session.can_pause) {
    $('#controls').hidden = false;
  } else {
    $('#no-pause').textContent = `Recording cannot be paused from here: a ${body.session.ingest} stream has no way to pause`
      + ' (AudioHook calls can).';
    $('#no-pause').hidden = false;
  }
}

function showRecording(paused, atMs) {
  $('#pause').disabled = paused;
  $('#resume').disabled = !paused;
  $('#recording').textContent = paused ? `recording paused at ${clock(atMs)}` : 'recording';
  $('#recording').dataset.paused = paused;
}

async function control(action) {
  const id = $('#watch-id').textContent;
  const response = await post(`/api/sessions/${encodeURIComponent(id)}/${action}`);
  const body = await response.json();
  $('#control-result').textContent = !response.ok ? body.error.message
    : body.paused ? 'paused: no audio of this call is kept' : 'resume asked: audio is kept again once the platform resumes';
}

// ---- the archive ----

function searchParams() {
  const params = new URLSearchParams();
  for (const name of ['q', 'meta', 'from', 'to']) {
    const value = $(`#${name}`).value.trim();
    if (value) params.set(name, value);
  }
  params.set('page', archivePage);
  params.set('size', 20);
  return params;
}

async function search() {
  const mine = ++searches;
  const response = await api(`/api/sessions/search?${searchParams()}`);
  const body = await response.json();
  if (mine !== searches) return; // a later search was asked for: its answer is the one to show
  if (!response.ok) { $('#result-count').textContent = body.error.message; return; }
  const rows = body.sessions.map((s) => el('tr', { 'data-session': s.id },
    el('td', {}, el('a', { href: `#call/${s.id}`, text: (s.started_at || '').replace('T', ' ').slice(0, 19) })),
    el('td', { text: s.ingest }),
    el('td', { text: channelsText(s) }),
    el('td', { text: metadataText(s.metadata) }),
    el('td', { text: s.snippet })));
  $('#results tbody').replaceChildren(...rows);
  $('#result-count').textContent = `${body.total} call(s)`;
  $('#page').textContent = `page ${body.page}`;
  $('#prev').disabled = body.page <= 1;
  $('#next').disabled = body.page * body.size >= body.total;
}

// ---- one archived call ----

async function showCall(id) {
  $('#call-id').textContent = id;
  $('#call-lines').replaceChildren();
  $('#downloads').replaceChildren();
  const response = await api(`/api/sessions/${encodeURIComponent(id)}`);
  const body = await response.json();
  if (!response.ok) { $('#call-info').textContent = body.error.message; return; }
  const call = body.call;
  $('#call-info').textContent = `${call.ingest} · ${channelsText(call)} · ${call.started_at} to ${call.ended_at || '?'}`
    + ` · ${metadataText(call.metadata)}`;
  const base = `/api/sessions/${encodeURIComponent(id)}`;
  const player = $('#player');
  player.src = `${base}/audio.wav`;
  const files = body.files.filter((f) => f !== 'audio.wav').concat(['transcript.txt', 'audio.wav']);
  for (const file of files) {
    $('#downloads').append(el('a', { href: `${base}/${file}?download=1`, 'data-file': file, text: file }));
  }
  const text = await (await api(`${base}/transcript.jsonl`)).text();
  const events = text.split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const finals = events.filter((e) => e.type === 'transcript.final').sort((a, b) => a.start_ms - b.start_ms);
  for (const f of finals) {
    const node = el('li', { class: 'line', 'data-start': f.start_ms, 'data-end': f.end_ms, 'data-item': f.item_id },
      el('span', { class: 'when', text: clock(f.start_ms) }), el('span', { class: 'who', text: f.channel }),
      el('span', { class: 'text', text: f.text }));
    for (const t of events.filter((e) => e.type === 'translation.final' && e.item_id === f.item_id)) {
      node.append(el('div', { class: 'tr', 'data-lang': t.language, text: t.text }));
    }
    node.addEventListener('click', () => { player.currentTime = f.start_ms / 1000; player.play(); });
    $('#call-lines').append(node);
  }
}

function highlight() {
  const now = $('#player').currentTime * 1000;
  for (const node of document.querySelectorAll('#call-lines .line')) {
    const playing = now >= Number(node.dataset.start) && now < Number(node.dataset.end);
    node.classList.toggle('playing', playing);
  }
}

// ---- navigation ----

function stopStreams() {
  clearInterval(liveTimer);
  for (const stream of [liveStream, watchStream]) if (stream) stream.close();
  liveStream = watchStream = null;
  $('#player').pause();
}

function route() {
  stopStreams();
  const [view, id] = (location.hash.slice(1) || 'live').split('/');
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== view;
  $('#nav-live').classList.toggle('current', view === 'live' || view === 'watch');
  $('#nav-archive').classList.toggle('current', view === 'archive' || view === 'call');
  if (view === 'watch' && id) showWatch(id);
  else if (view === 'archive') search();
  else if (view === 'call' && id) showCall(id);
  else { $('#live').hidden = false; showLive(); }
}

async function start() {
  me = await (await api('/console/me')).json();
  $('#who').textContent = `signed in as ${me.name}`;
  $('#nav-archive').hidden = !me.archive;
  $('#sign-out').addEventListener('click', async () => { await post('/console/logout'); location.href = '/console'; });
  $('#pause').addEventListener('click', () => control('pause'));
  $('#resume').addEventListener('click', () => control('resume'));
  $('#search').addEventListener('submit', (e) => { e.preventDefault(); archivePage = 1; search(); });
  $('#prev').addEventListener('click', () => { archivePage--; search(); });
  $('#next').addEventListener('click', () => { archivePage++; search(); });
  $('#player').addEventListener('timeupdate', highlight);
  $('#player').addEventListener('seeked', highlight);
  window.addEventListener('hashchange', route);
  route();
}

start();
