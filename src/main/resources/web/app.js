/*
 * Parley's browser client: speak, see the live transcript and its translations, hear them spoken.
 *
 * Plain JavaScript with standard web APIs only (getUserMedia, AudioWorklet, WebSocket, Web Audio,
 * fetch): no build step, works in current Chromium, Firefox and Safari. Protocol: README.md,
 * "Protocol: WebSocket /v1/listen", and docs/events.md.
 *
 * window.parley holds what the page has seen and done (counts of events and clips), for tests
 * and for anyone curious in the developer console.
 */
(() => {
  'use strict';

  const OUTPUT_RATE = 24000;          // what Parley takes by default: 24 kHz PCM16
  const FRAME_MS = 40;                // the frame size Parley recommends
  const CLOSE_WAIT_MS = 30000;        // how long Stop waits for session.closed
  const BACKLOG_BYTES = OUTPUT_RATE * 2 * 5;   // 5 s of audio waiting in the socket: the network is too slow

  /** Friendly messages, keyed by the codes Parley sends and by the page's own. */
  const MESSAGES = {
    mic_denied: 'Microphone access is blocked. Allow the microphone for this site (the icon in the address bar), then press Start again.',
    mic_missing: 'No microphone was found. Connect one, or pick another input in your system settings, then press Start again.',
    mic_busy: 'The microphone could not be opened: another application may be using it.',
    mic_unsupported: 'This browser cannot capture audio on this page. Use a current Firefox, Chrome, Edge or Safari, and open Parley over https (or on localhost).',
    mic_failed: 'The microphone could not be started.',
    server_unreachable: "Parley's server cannot be reached. Check your network connection, or ask whether the server is running, then try again.",
    reconnecting: 'The connection to the server was lost. Reconnecting: the microphone stays on, but what is said until then is not captioned.',
    reconnected: 'Reconnected: captions go on in a new session. What was said while disconnected is marked as a gap.',
    languages_failed: 'The list of languages could not be loaded. Retrying…',
    token_refused: 'The server refused access to this session (your access token was not accepted). Reload the page and try again; if it keeps happening, you may need to sign in again.',
    token_failed: 'The server could not issue an access token for this session. Try again in a moment.',
    rate_limited: (d) => `Too many sessions were started in a short time. Try again in ${d && d.seconds ? d.seconds + ' seconds' : 'a moment'}.`,
    connection_refused: 'The server refused the connection. If sign-in is required, reload the page and try again.',
    connection_lost: 'The connection to the server was lost. Press Start to begin a new session.',
    storage_full: 'This browser has no room left to keep the transcript: download it before you leave.',
    copied: 'The transcript is on the clipboard.',
    copy_failed: 'The transcript could not be copied: use Download text instead.',
    close_timeout: 'The server did not confirm the end of the session in time; the connection was closed. The last sentence may be missing.',
    capacity: 'Parley is at capacity right now: every speech recognizer is busy. Try again in a minute.',
    unsupported_language_pair: 'This language pair is not available. Choose other languages and press Start again.',
    session_refused: 'The server refused these session settings.',
    input_silent: "We can't hear you: the microphone has been silent for a few seconds. Check that the right microphone is selected and not muted.",
    input_clipped: 'Your microphone is too loud and the sound is distorted. Move back a little or turn the input volume down.',
    idle_timeout: 'The session ended because no audio arrived for a while.',
    max_duration: 'The session reached its maximum length and was ended.',
    overloaded: 'The server is falling behind and skipped some audio: a few words may be missing. This message goes once it keeps up.',
    slow_network: 'The network is too slow for live audio: what you say reaches the server late.',
    recognizer_failed: 'Speech recognition failed for part of the audio.',
    translation_failed: 'A sentence could not be translated.',
    tts_failed: 'A translation could not be spoken.',
    playback_failed: 'A spoken translation could not be played.',
    frame_too_large: 'The page sent more audio at once than the server accepts.',
    server_error: 'The server ran into a problem with this session.',
    server_closed: 'The server ended the session.',
    invalid_audio: 'The server could not read some of the audio this page sent.',
    invalid_json: 'The server could not read a message from this page.',
    unknown_type: 'The server did not understand a message from this page.',
    internal: 'The server could not take part of the audio.',
  };

  /** Observable state (tests read it; nothing depends on it). */
  const parley = window.parley = {
    state: 'idle', sessions: 0, connections: 0, reconnects: 0, sessionId: null, sessionClosed: false, closedReason: null,
    closeCode: null, closeReason: null, url: null, usedToken: false,
    audioContextRate: null, resampler: null, framesSent: 0, bytesSent: 0, framesNotSent: 0, maxLevelDb: null,
    partials: 0, finals: 0, translations: 0, received: [], firstPartialMs: null, lagMs: null, overloadErrors: 0, overloadNotices: 0,
    ttsReceived: 0, clipsSkipped: 0, clipsLate: 0, clipsStarted: 0, clipsEnded: 0, clipsFailed: 0, clipsStopped: 0,
    clips: [], playing: 0, maxConcurrent: 0, queued: 0, wakeLock: false, echoCancellation: null,
    notices: [], drops: [],
    /** The current connection: audio sent on it, and time since it opened (the gap's audio is never sent). */
    connection: () => (session && session.conn && session.conn.opened
      ? { audioMs: Math.round(session.conn.audioMs), elapsedMs: Date.now() - session.conn.openedAt } : null),
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), source: $('source'), targets: $('targets'), targetsHint: $('targets-hint'),
    start: $('start'), stop: $('stop'), startHint: $('start-hint'), settingsToggle: $('settings-toggle'),
    echo: $('echo-cancellation'), noise: $('noise-suppression'), gain: $('auto-gain'),
    speak: $('speak'), speakLanguage: $('speak-language'), large: $('large'), captionLanguage: $('caption-language'),
    meter: $('meter'), meterBar: $('meter-bar'), meterPeak: $('meter-peak'), meterValue: $('meter-value'),
    elapsed: $('elapsed'), notices: $('notices'), transcript: $('transcript'),
    empty: $('empty'), speaking: $('speaking'), lag: $('lag'), jump: $('jump'),
    copy: $('copy'), downloadText: $('download-text'), exportLanguage: $('export-language'),
    downloadSrt: $('download-srt'), downloadVtt: $('download-vtt'), clear: $('clear'),
    captions: $('captions'), captionsLang: $('captions-lang'), captionsLines: $('captions-lines'), captionsClose: $('captions-close'),
  };

  const SETTINGS_KEY = 'parley.settings.v1';
  const TRANSCRIPT_KEY = 'parley.transcript.v1';
  const LATE_CLIP_MS = 3000;          // a spoken translation starting later than this after its text is skipped
  const LAG_SHOWN_MS = 3000;          // captions this far behind the speaker say so
  const OVERLOAD_CLEARS_MS = 10000;   // the overload notice goes once the server has kept up this long
  const RECONNECT_DELAYS_MS = [1000, 2000, 3000, 5000];

  let languages = null;     // the answer of /api/languages
  let session = null;       // the session being opened, live, reconnecting or finishing
  let retryAt = 0;          // rate limited until (ms since epoch)
  let targetOrder = [];     // the chosen targets, in the order the user picked them

  // ---------------------------------------------------------------------------------------------
  // Small helpers

  const displayNames = typeof Intl === 'object' && typeof Intl.DisplayNames === 'function'
    ? new Intl.DisplayNames(['en'], { type: 'language' }) : null;

  function languageName(code) {
    try {
      const name = displayNames && displayNames.of(code);
      if (name && name.toLowerCase() !== code.toLowerCase()) {
        return name;
      }
    } catch (e) {
      // not a code Intl knows
    }
    return code;
  }

  function clock(ms) {
    const total = Math.max(0, Math.floor((ms || 0) / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const mm = String(m).padStart(2, '0');
    const ss = String(s).padStart(2, '0');
    return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function element(tag, className, text) {
    const e = document.createElement(tag);
    if (className) {
      e.className = className;
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function base64ToBytes(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  function retryAfterSeconds(header) {
    if (!header) {
      return null;
    }
    if (/^\d+$/.test(header.trim())) {
      return parseInt(header, 10);
    }
    const date = Date.parse(header);
    return Number.isNaN(date) ? null : Math.max(1, Math.ceil((date - Date.now()) / 1000));
  }

  /** A failure to show the user: a code of MESSAGES and details. */
  class Notice extends Error {
    constructor(code, detail) {
      super(code);
      this.code = code;
      this.detail = detail;
    }
  }

  function timeOfDay(epochMs) {
    return new Date(epochMs).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  // ---------------------------------------------------------------------------------------------
  // Status and notices

  function setState(state, text) {
    parley.state = state;
    ui.status.dataset.state = state;
    ui.status.textContent = text;
    updateControls();
  }

  /**
   * Shows a message (replacing an earlier one of the same code). level: 'error', 'warning' or 'info'.
   * Errors are announced at once (role alert); warnings and news wait for a pause (the polite list).
   */
  function notify(code, detail, level) {
    const message = MESSAGES[code];
    let text = typeof message === 'function' ? message(detail) : (message || 'Something went wrong.');
    const extra = typeof detail === 'string' ? detail.trim() : '';
    level = level || 'error';
    clearNotice(code);
    const li = element('li', `notice ${level}`);
    li.dataset.code = code;
    const said = li.appendChild(element('span', 'notice-text', text));
    if (level === 'error') {
      said.setAttribute('role', 'alert');
    }
    if (extra && (!message || level === 'error')) {
      li.appendChild(element('span', 'notice-detail', extra));
    }
    const close = element('button', 'notice-close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Dismiss this message');
    close.addEventListener('click', () => li.remove());
    li.appendChild(close);
    ui.notices.appendChild(li);
    parley.notices.push({ code, level, text, detail: extra });
    return li;
  }

  function clearNotice(code) {
    for (const li of ui.notices.querySelectorAll('li')) {
      if (li.dataset.code === code) {
        li.remove();
      }
    }
  }

  function hasNotice(code) {
    return Array.from(ui.notices.children).some((li) => li.dataset.code === code);
  }

  function notifyFailure(e) {
    if (e instanceof Notice) {
      notify(e.code, e.detail);
    } else {
      console.error(e);
      notify('server_error', e && e.message ? e.message : String(e));
    }
  }

  /**
   * The server says `overloaded` at most once a second while it drops audio: one quiet notice says so,
   * and goes by itself once the server has kept up for a while (or the session ends).
   */
  const overload = {
    timer: null,

    report() {
      parley.overloadErrors++;
      if (!hasNotice('overloaded')) {
        notify('overloaded', null, 'warning');
        parley.overloadNotices++;
      }
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.clear(), OVERLOAD_CLEARS_MS);
    },

    clear() {
      clearTimeout(this.timer);
      clearNotice('overloaded');
    },
  };

  /** "Captions N s behind": the audio sent on this connection minus where the newest line ends in it. */
  function showLag(connection, event) {
    if (typeof event.end_ms !== 'number') {
      return;
    }
    const lag = Math.max(0, connection.audioMs - event.end_ms);
    parley.lagMs = Math.round(lag);
    const shown = lag >= LAG_SHOWN_MS;
    ui.lag.hidden = !shown;
    ui.lag.textContent = shown ? `Captions ${Math.round(lag / 1000)} s behind` : '';
  }

  function hideLag() {
    ui.lag.hidden = true;
    ui.lag.textContent = '';
  }

  // ---------------------------------------------------------------------------------------------
  // Languages, the form, and the choices remembered in this browser

  function saved() {
    try {
      return JSON.parse(localStorage.getItem(SETTINGS_KEY)) || {};
    } catch (e) {
      return {};
    }
  }

  function remember() {
    const settings = {
      source: ui.source.value, targets: targetOrder, speak: ui.speak.checked, speakLanguage: ui.speakLanguage.value,
      captionLanguage: ui.captionLanguage.value,
      echo: ui.echo.dataset.chosen === 'true', noise: ui.noise.checked, gain: ui.gain.checked,
    };
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
    } catch (e) {
      // private browsing or full storage: the choices are simply not kept
    }
  }

  async function loadLanguages() {
    try {
      const response = await fetch('/api/languages', { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      languages = await response.json();
      clearNotice('languages_failed');
      clearNotice('server_unreachable');
      fillSources();
    } catch (e) {
      notify('languages_failed', null, 'warning');
      setTimeout(loadLanguages, 5000);
    }
  }

  function fillSources() {
    const sources = (languages && languages.sources) || [];
    const previous = ui.source.value || saved().source;
    ui.source.textContent = '';
    for (const code of sources) {
      const option = element('option', null, languageName(code));
      option.value = code;
      ui.source.appendChild(option);
    }
    if (sources.includes(previous)) {
      ui.source.value = previous;
    } else if (sources.includes('en')) {
      ui.source.value = 'en';
    }
    const remembered = saved().targets;
    fillTargets(Array.isArray(remembered) ? remembered : null);
    updateControls();
  }

  /** The targets of the chosen source; `wanted` (remembered) or the current choice stays ticked, else the first. */
  function fillTargets(wanted) {
    const list = (languages && languages.targets && languages.targets[ui.source.value]) || [];
    const voices = new Set((languages && languages.tts) || []);
    let chosen = (wanted || targetOrder).filter((code) => list.includes(code));
    if (chosen.length === 0 && list.length > 0 && wanted === null) {
      chosen = [list.includes('es') ? 'es' : list[0]];
    }
    targetOrder = chosen;
    ui.targets.textContent = '';
    for (const code of list) {
      const label = element('label', 'chip');
      const box = element('input');
      box.type = 'checkbox';
      box.name = 'target';
      box.value = code;
      box.checked = chosen.includes(code);
      box.addEventListener('change', () => {
        targetOrder = targetOrder.filter((c) => c !== code);
        if (box.checked) {
          targetOrder.push(code);
        }
        targetsChanged();
      });
      label.appendChild(box);
      label.appendChild(element('span', 'chip-name', languageName(code)));
      if (!voices.has(code)) {
        label.title = 'Text only: no voice for this language';
        label.appendChild(element('span', 'chip-note', 'text only'));
      }
      ui.targets.appendChild(label);
    }
    ui.targetsHint.textContent = list.length
      ? 'Pick one or more, in the order you want them shown. None: transcript only.'
      : 'No translation is available from this language: transcript only.';
    targetsChanged();
  }

  /** The language menus follow the chosen targets: what is spoken, shown large, and exported. */
  function targetsChanged() {
    const voices = new Set((languages && languages.tts) || []);
    const memory = saved();
    const spoken = targetOrder.filter((code) => voices.has(code));
    fillMenu(ui.speakLanguage, spoken.map((code) => [code, `in ${languageName(code)}`]),
      ui.speakLanguage.value || memory.speakLanguage);
    ui.speakLanguage.disabled = spoken.length === 0;
    const all = [ui.source.value, ...targetOrder].filter(Boolean);
    fillMenu(ui.captionLanguage, all.map((code) => [code, languageName(code)]), ui.captionLanguage.value || memory.captionLanguage);
    applyEchoRule();
    updateControls();
    remember();
  }

  function fillMenu(select, entries, wanted) {
    select.textContent = '';
    for (const [value, text] of entries) {
      const option = element('option', null, text);
      option.value = value;
      select.appendChild(option);
    }
    if (entries.some(([value]) => value === wanted)) {
      select.value = wanted;
    }
  }

  /** Speaking aloud through speakers feeds the translation back into the microphone: echo cancellation is then on. */
  function speaksAloud() {
    return ui.speak.checked && ui.speakLanguage.value !== '';
  }

  function applyEchoRule() {
    const forced = speaksAloud();
    ui.echo.checked = forced || ui.echo.dataset.chosen === 'true';
    ui.echo.disabled = forced || session !== null;
    ui.echo.parentElement.title = forced ? 'On while the page speaks translations aloud' : '';
  }

  function consent() {
    const chosen = document.querySelector('input[name="record"]:checked');
    return chosen ? chosen.value : null;
  }

  function updateControls() {
    const busy = session !== null;
    const waiting = Date.now() < retryAt;
    const ready = languages !== null && ui.source.value !== '' && consent() !== null;
    document.body.classList.toggle('busy', busy);
    ui.start.disabled = busy || !ready || waiting;
    ui.stop.disabled = !busy || !session.canStop();
    ui.source.disabled = busy || languages === null;
    for (const input of document.querySelectorAll('#targets input, #consent input, #noise-suppression, #auto-gain')) {
      input.disabled = busy;
    }
    ui.echo.disabled = busy || speaksAloud();
    ui.settingsToggle.setAttribute('aria-expanded', String(!document.body.classList.contains('folded')));
    let hint = '';
    if (languages === null) {
      hint = 'Loading languages…';
    } else if (consent() === null) {
      hint = 'Answer the record question to start.';
    } else if (waiting) {
      hint = 'Please wait a moment before starting again.';
    } else if (busy) {
      hint = 'Speak now. Press Stop when you are done.';
    }
    ui.startHint.textContent = hint;
    ui.startHint.hidden = hint === '';
    const any = store.lines().length > 0;
    const exportable = exportLanguages();
    if (exportable.join() !== Array.from(ui.exportLanguage.options).map((o) => o.value).join()) {
      fillMenu(ui.exportLanguage, exportable.map((code) => [code, languageName(code)]), ui.exportLanguage.value);
    }
    for (const button of [ui.copy, ui.downloadText, ui.clear]) {
      button.disabled = !any;
    }
    const subtitles = any && ui.exportLanguage.value !== '';
    ui.downloadSrt.disabled = !subtitles;
    ui.downloadVtt.disabled = !subtitles;
    ui.exportLanguage.disabled = !any;
  }

  // ---------------------------------------------------------------------------------------------
  // Microphone level meter

  const meter = {
    rmsDb: -Infinity, peakDb: -Infinity, hold: -60, clipUntil: 0, pending: false, active: false,

    update(rms, peak, clipped) {
      this.active = true;
      this.rmsDb = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
      if (Number.isFinite(this.rmsDb)) {
        parley.maxLevelDb = Math.max(parley.maxLevelDb === null ? -Infinity : parley.maxLevelDb, Math.round(this.rmsDb));
      }
      this.peakDb = peak > 0 ? 20 * Math.log10(peak) : -Infinity;
      if (clipped > 0) {
        this.clipUntil = performance.now() + 600;
      }
      if (!this.pending) {
        this.pending = true;
        requestAnimationFrame(() => this.draw());
      }
    },

    draw() {
      this.pending = false;
      if (!this.active) {
        return;                                 // released since this frame was drawn for
      }
      const level = Math.max(-60, Math.min(0, this.rmsDb));
      const peak = Math.max(-60, Math.min(0, this.peakDb));
      this.hold = Math.max(peak, this.hold - 0.6);
      ui.meterBar.style.width = `${((level + 60) / 60) * 100}%`;
      ui.meterPeak.style.left = `${((this.hold + 60) / 60) * 100}%`;
      ui.meter.classList.toggle('hot', level > -12);
      ui.meter.classList.toggle('clip', performance.now() < this.clipUntil);
      ui.meter.setAttribute('aria-valuenow', String(Math.round(level)));
      ui.meterValue.textContent = level > -60 ? `${Math.round(level)} dB` : 'silent';
    },

    reset() {
      this.active = false;
      this.rmsDb = -Infinity;
      this.peakDb = -Infinity;
      this.hold = -60;
      ui.meterBar.style.width = '0%';
      ui.meterPeak.style.left = '0%';
      ui.meter.classList.remove('hot', 'clip');
      ui.meterValue.textContent = '—';
    },
  };

  // ---------------------------------------------------------------------------------------------
  // What the page received, kept in this browser (localStorage) until the user clears it

  /**
   * entries: lines ({kind: 'line', key, language, text, start, end (epoch ms), translations: {lang: text},
   * lost}) and markers ({kind: 'marker', text, gap}), in the order they happened.
   */
  const store = {
    entries: [],
    saveTimer: null,

    load() {
      try {
        const kept = JSON.parse(localStorage.getItem(TRANSCRIPT_KEY));
        this.entries = Array.isArray(kept) ? kept : [];
      } catch (e) {
        this.entries = [];
      }
    },

    add(entry) {
      this.entries.push(entry);
      this.save();
      return entry;
    },

    save() {
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => {
        try {
          localStorage.setItem(TRANSCRIPT_KEY, JSON.stringify(this.entries));
          clearNotice('storage_full');
        } catch (e) {
          if (!hasNotice('storage_full')) {
            notify('storage_full', null, 'warning');
          }
        }
      }, 200);
    },

    clear() {
      this.entries = [];
      clearTimeout(this.saveTimer);
      localStorage.removeItem(TRANSCRIPT_KEY);
    },

    lines() {
      return this.entries.filter((e) => e.kind === 'line' && !e.lost);
    },
  };

  function exportLanguages() {
    const seen = [];
    for (const line of store.lines()) {
      for (const code of [line.language, ...Object.keys(line.translations)]) {
        if (code && !seen.includes(code)) {
          seen.push(code);
        }
      }
    }
    return seen;
  }

  /** The files the page offers, built from what it received (the server's archive is for its staff). */
  const exporter = {
    text() {
      const out = [`Parley transcript, ${new Date().toLocaleString()}`, ''];
      for (const entry of store.entries) {
        if (entry.kind === 'marker') {
          out.push(`— ${entry.text} —`, '');
          continue;
        }
        const name = languageName(entry.language || '');
        out.push(`[${timeOfDay(entry.start)}] ${name}: ${entry.text}${entry.lost ? ' (unfinished: the connection was lost)' : ''}`);
        for (const [code, text] of Object.entries(entry.translations || {})) {
          out.push(`    ${languageName(code)}: ${text}`);
        }
        out.push('');
      }
      return out.join('\n');
    },

    /** Cues of one language: [{start, end, text}] in ms from the first line, in order, never overlapping backwards. */
    cues(language) {
      const lines = store.lines();
      if (lines.length === 0) {
        return [];
      }
      const origin = lines[0].start;
      const cues = [];
      let last = 0;
      for (const line of lines) {
        const text = line.language === language ? line.text : (line.translations || {})[language];
        if (!text) {
          continue;
        }
        const start = Math.max(last, line.start - origin);
        const end = Math.max(start + 500, line.end - origin);
        cues.push({ start, end, text });
        last = start;
      }
      return cues;
    },

    stamp(ms, separator) {
      const h = Math.floor(ms / 3600000);
      const m = Math.floor((ms % 3600000) / 60000);
      const s = Math.floor((ms % 60000) / 1000);
      const f = Math.floor(ms % 1000);
      const two = (n) => String(n).padStart(2, '0');
      return `${two(h)}:${two(m)}:${two(s)}${separator}${String(f).padStart(3, '0')}`;
    },

    /** One line of cue text: no line breaks, no timing arrow. */
    cueText(text) {
      return text.replace(/\s+/g, ' ').replace(/-->/g, '->').trim();
    },

    srt(language) {
      return this.cues(language).map((cue, i) => `${i + 1}\n${this.stamp(cue.start, ',')} --> ${this.stamp(cue.end, ',')}\n`
        + `${this.cueText(cue.text)}\n\n`).join('');
    },

    vtt(language) {
      const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      return 'WEBVTT\n\n' + this.cues(language).map((cue) => `${this.stamp(cue.start, '.')} --> ${this.stamp(cue.end, '.')}\n`
        + `${escape(this.cueText(cue.text))}\n\n`).join('');
    },

    fileName(extension, language) {
      const first = store.lines()[0];
      const date = new Date(first ? first.start : Date.now());
      const pad = (n) => String(n).padStart(2, '0');
      const stamp = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}`;
      return `parley-${stamp}${language ? '.' + language : ''}.${extension}`;
    },

    download(name, text, type) {
      const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
      const link = element('a');
      link.href = url;
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    },

    async copy() {
      const text = this.text();
      try {
        await navigator.clipboard.writeText(text);
      } catch (e) {
        // No asynchronous clipboard (an insecure page): the older way, from a hidden text box.
        const box = element('textarea');
        box.value = text;
        box.setAttribute('readonly', '');
        box.className = 'visually-hidden';
        document.body.appendChild(box);
        box.select();
        const copied = document.execCommand('copy');
        box.remove();
        if (!copied) {
          notify('copy_failed', null, 'warning');
          return;
        }
      }
      notify('copied', null, 'info');
      setTimeout(() => clearNotice('copied'), 4000);
    },
  };

  // ---------------------------------------------------------------------------------------------
  // The transcript: follows the newest line unless the reader scrolls back

  const transcript = {
    items: new Map(),       // connection prefix + item_id -> {li, entry}
    prefix: '',
    following: true,
    scrolling: false,

    /** A new connection: its item ids are its own. */
    connection(number) {
      this.prefix = `c${number}:`;
    },

    marker(text, className) {
      const li = element('li', `divider${className ? ' ' + className : ''}`, text);
      this.append(li);
      store.add({ kind: 'marker', text, gap: className === 'gap' });
      return li;
    },

    line(id) {
      const key = this.prefix + id;
      let item = this.items.get(key);
      if (!item) {
        item = { li: this.render(null), entry: null };
        item.li.dataset.itemId = id;
        this.items.set(key, item);
        this.append(item.li);
      }
      return item;
    },

    /** The list item of a line (entry null: a partial, not yet kept). */
    render(entry) {
      const li = element('li', 'utterance');
      const head = element('div', 'utterance-head');
      head.appendChild(element('time', 'time', 'live'));
      const body = element('div', 'utterance-body');
      body.appendChild(element('span', 'lang', ''));
      body.appendChild(element('p', 'source'));
      head.appendChild(body);
      li.appendChild(head);
      li.appendChild(element('div', 'translations'));
      if (entry) {
        this.fill(li, entry);
      }
      return li;
    },

    fill(li, entry) {
      li.classList.remove('partial');
      li.classList.add(entry.lost ? 'lost' : 'final');
      const source = li.querySelector('.source');
      source.textContent = entry.text;
      if (entry.language) {
        source.lang = entry.language;
        li.querySelector('.utterance-body .lang').textContent = languageName(entry.language);
      }
      const time = li.querySelector('.time');
      time.textContent = entry.lost ? 'lost' : timeOfDay(entry.start);
      time.dateTime = new Date(entry.start).toISOString();
      if (entry.lost) {
        time.title = 'The connection was lost before this sentence was finished';
      }
      for (const [code, text] of Object.entries(entry.translations || {})) {
        this.setTranslation(li, code, text);
      }
    },

    append(li) {
      ui.transcript.appendChild(li);
      grown.observe(li);
      ui.empty.hidden = true;
      this.follow();
      updateControls();
    },

    /** Keeps the newest line in view (in the list, and in the page on a phone) while the reader follows. */
    follow() {
      if (!this.following) {
        ui.jump.hidden = false;
        return;
      }
      const last = ui.transcript.lastElementChild;
      if (!last) {
        return;
      }
      this.scrolling = true;
      last.scrollIntoView({ block: 'end', inline: 'nearest' });
      requestAnimationFrame(() => {
        this.scrolling = false;
      });
      ui.jump.hidden = true;
      captions.render();
    },

    /**
     * A scroll the page did not make. At the end: follow again. Elsewhere, after the reader's own wheel,
     * touch or key: they scrolled back to read, so stop following. Otherwise the layout moved (the
     * settings folded, a line grew): catch up.
     */
    scrolled() {
      if (this.scrolling) {
        return;
      }
      const last = ui.transcript.lastElementChild;
      if (!last) {
        return;
      }
      const box = last.getBoundingClientRect();
      const list = ui.transcript.getBoundingClientRect();
      const visible = box.bottom <= Math.min(window.innerHeight, list.bottom) + 40;
      if (visible) {
        this.following = true;
        ui.jump.hidden = true;
      } else if (performance.now() - readerMovedAt < 1000) {
        this.following = false;
        ui.jump.hidden = false;
      } else {
        this.follow();
      }
    },

    jump() {
      this.following = true;
      this.follow();
    },

    partial(event) {
      const item = this.line(event.item_id);
      if (item.entry) {
        return;                                 // a late partial never replaces a final
      }
      item.li.classList.add('partial');
      item.li.querySelector('.source').textContent = event.text || '…';
      item.partialText = event.text || '';
      if (event.language) {
        item.li.querySelector('.utterance-body .lang').textContent = languageName(event.language);
      }
      this.follow();
    },

    final(event, connection, targets) {
      const item = this.line(event.item_id);
      item.entry = store.add({
        kind: 'line', key: this.prefix + event.item_id, language: event.language, text: event.text,
        start: connection.openedAt + (event.start_ms || 0), end: connection.openedAt + (event.end_ms || 0),
        translations: {},
      });
      this.fill(item.li, item.entry);
      const time = item.li.querySelector('.time');
      time.title = `${clock(event.start_ms)}–${clock(event.end_ms)} into this connection's audio`;
      for (const language of targets) {
        this.translationRow(item.li, language);      // placeholders, in the order the user chose
      }
      this.follow();
    },

    translationRow(li, language) {
      const box = li.querySelector('.translations');
      let row = box.querySelector(`.translation[data-lang="${CSS.escape(language)}"]`);
      if (!row) {
        row = element('p', 'translation pending');
        row.dataset.lang = language;
        row.lang = language;
        row.appendChild(element('span', 'lang', languageName(language)));
        row.appendChild(element('span', 'text', 'translating…'));
        row.appendChild(element('span', 'clip-note'));
        box.appendChild(row);
      }
      return row;
    },

    setTranslation(li, language, text) {
      const row = this.translationRow(li, language);
      row.classList.remove('pending', 'failed');
      row.querySelector('.text').textContent = text;
    },

    translation(event) {
      const item = this.line(event.item_id);
      this.setTranslation(item.li, event.language, event.text);
      if (item.entry) {
        item.entry.translations[event.language] = event.text;
        store.save();
        updateControls();
      }
      this.follow();
    },

    failed(event) {
      if (!event.item_id || !event.language) {
        return;
      }
      const row = this.translationRow(this.line(event.item_id).li, event.language);
      if (event.code === 'translation_failed') {
        row.classList.remove('pending');
        row.classList.add('failed');
        row.querySelector('.text').textContent = 'translation unavailable';
      }
    },

    /** The connection dropped: its unfinished lines stay, marked lost, and are kept as such. */
    lose() {
      for (const [key, item] of this.items) {
        if (key.startsWith(this.prefix) && !item.entry) {
          item.entry = store.add({
            kind: 'line', key, language: null, text: item.partialText || '', start: Date.now(), end: Date.now(),
            translations: {}, lost: true,
          });
          const lang = item.li.querySelector('.utterance-body .lang').textContent;
          this.fill(item.li, item.entry);
          item.li.querySelector('.utterance-body .lang').textContent = lang;
        }
      }
    },

    /** The session ended normally: a partial that got no final had nothing recognised in it (docs/events.md). */
    settle() {
      for (const [key, item] of this.items) {
        if (key.startsWith(this.prefix) && !item.entry) {
          item.li.remove();
          this.items.delete(key);
        }
      }
    },

    clipNote(prefix, itemId, language, text) {
      const item = this.items.get(prefix + itemId);
      const row = item && item.li.querySelector(`.translation[data-lang="${CSS.escape(language)}"]`);
      if (row) {
        row.querySelector('.clip-note').textContent = text;
      }
    },

    speaking(prefix, itemId, language, on) {
      const item = this.items.get(prefix + itemId);
      const row = item && item.li.querySelector(`.translation[data-lang="${CSS.escape(language)}"]`);
      if (row) {
        row.classList.toggle('speaking', on);
      }
      ui.speaking.hidden = !on;
    },

    /** What this browser kept from earlier visits, shown before anything new. */
    restore() {
      for (const entry of store.entries) {
        ui.transcript.appendChild(entry.kind === 'marker'
          ? element('li', `divider${entry.gap ? ' gap' : ''}`, entry.text) : this.render(entry));
      }
      if (store.entries.length > 0) {
        ui.empty.hidden = true;
        this.follow();
      }
    },

    clear() {
      store.clear();
      this.items.clear();
      for (const li of ui.transcript.children) {
        grown.unobserve(li);
      }
      ui.transcript.textContent = '';
      ui.empty.hidden = false;
      ui.jump.hidden = true;
      this.following = true;
      captions.render();
      targetsChanged();
    },
  };

  /** When the reader last used the wheel, a touch or a key: a scroll soon after is theirs. */
  let readerMovedAt = -Infinity;
  for (const type of ['wheel', 'touchmove', 'keydown']) {
    window.addEventListener(type, () => {
      readerMovedAt = performance.now();
    }, { passive: true, capture: true });
  }
  /** A line that grows (its translations arrive, a note is added), or anything above it, is followed too. */
  const grown = typeof ResizeObserver === 'function'
    ? new ResizeObserver(() => transcript.follow()) : { observe() {}, unobserve() {} };
  const above = [ui.notices, ui.lag.parentElement, document.querySelector('.settings')];
  for (const box of above) {
    grown.observe(box);
  }

  /** Large captions: the last lines of one language (the source, or one target), big, full screen where allowed. */
  const captions = {
    open() {
      ui.captions.hidden = false;
      ui.large.setAttribute('aria-pressed', 'true');
      if (ui.captions.requestFullscreen) {
        ui.captions.requestFullscreen().catch(() => {});   // refused (no gesture, an iframe): a fixed overlay instead
      }
      this.render();
      ui.captionsClose.focus();
    },

    close() {
      ui.captions.hidden = true;
      ui.large.setAttribute('aria-pressed', 'false');
      if (document.fullscreenElement) {
        document.exitFullscreen().catch(() => {});
      }
      ui.large.focus();
    },

    render() {
      if (ui.captions.hidden) {
        return;
      }
      const language = ui.captionLanguage.value;
      ui.captionsLang.textContent = language ? languageName(language) : '';
      const texts = [];
      for (const li of ui.transcript.querySelectorAll('.utterance')) {
        const source = li.querySelector('.source');
        if (source.lang === language || (li.classList.contains('partial') && language === ui.source.value)) {
          texts.push([source.textContent, li.classList.contains('partial')]);
        } else {
          const row = li.querySelector(`.translation[data-lang="${CSS.escape(language)}"]:not(.pending) .text`);
          if (row) {
            texts.push([row.textContent, false]);
          }
        }
      }
      ui.captionsLines.textContent = '';
      for (const [text, partial] of texts.slice(-3)) {
        const p = element('p', partial ? 'caption partial' : 'caption', text);
        p.lang = language;
        ui.captionsLines.appendChild(p);
      }
    },
  };

  // ---------------------------------------------------------------------------------------------
  // Spoken translations: one chosen language, one clip at a time, never far behind its text

  const player = {
    context: null,
    queue: [],
    busy: false,
    current: null,           // the clip playing: {node, finish}
    arrivals: new Map(),     // connection prefix + item + language -> when its translation arrived

    /** Creates or resumes the output; called from the Start click so browsers allow sound. */
    unlock() {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!this.context && Context) {
        this.context = new Context({ latencyHint: 'playback' });
      }
      if (this.context && this.context.state === 'suspended') {
        this.context.resume().catch(() => {});
      }
    },

    translated(event) {
      this.arrivals.set(transcript.prefix + event.item_id + '|' + event.language, performance.now());
    },

    enqueue(event) {
      if (!speaksAloud() || event.language !== ui.speakLanguage.value) {
        parley.clipsSkipped++;
        return;
      }
      this.unlock();
      const bytes = base64ToBytes(event.audio || '');
      // Decode now, so the next clip is ready when this one ends; play strictly in arrival order.
      const decoding = new Promise((resolve, reject) => {
        this.context.decodeAudioData(bytes.buffer, resolve, reject);
      });
      decoding.catch(() => {});
      const key = transcript.prefix + event.item_id + '|' + event.language;
      const arrived = this.arrivals.has(key) ? this.arrivals.get(key) : performance.now();
      this.queue.push({ event, decoding, prefix: transcript.prefix, arrived });
      parley.queued = this.queue.length;
      this.pump();
    },

    async pump() {
      if (this.busy) {
        return;
      }
      this.busy = true;
      try {
        while (this.queue.length > 0) {
          const clip = this.queue.shift();
          parley.queued = this.queue.length;
          let buffer;
          try {
            buffer = await clip.decoding;
          } catch (e) {
            parley.clipsFailed++;
            notify('playback_failed', e && e.message, 'warning');
            continue;
          }
          const late = performance.now() - clip.arrived;
          if (late > LATE_CLIP_MS) {
            // Speech that far behind its text only widens the gap: show the text, skip the sound.
            parley.clipsLate++;
            transcript.clipNote(clip.prefix, clip.event.item_id, clip.event.language, 'not spoken: it came too late');
            continue;
          }
          if (!speaksAloud() || clip.event.language !== ui.speakLanguage.value) {
            parley.clipsSkipped++;
            continue;
          }
          parley.clips.push({ language: clip.event.language, delayMs: Math.round(late) });
          await this.play(buffer, clip);
        }
      } finally {
        this.busy = false;
      }
    },

    /** Silences what plays and drops what waits (Speak unticked, another language chosen, Clear). */
    stopAll() {
      parley.clipsSkipped += this.queue.length;
      this.queue = [];
      parley.queued = 0;
      if (this.current) {
        this.current.finish('stopped');
      }
    },

    play(buffer, clip) {
      return new Promise((resolve) => {
        const node = this.context.createBufferSource();
        node.buffer = buffer;
        node.connect(this.context.destination);
        let done = false;
        const finish = (how) => {
          if (done) {
            return;
          }
          done = true;
          clearTimeout(guard);
          this.current = null;
          parley.playing--;
          if (how === 'ended') {
            parley.clipsEnded++;
          } else if (how === 'stopped') {
            parley.clipsStopped++;
            try {
              node.stop();
            } catch (e) {
              // not started yet
            }
          } else {
            parley.clipsFailed++;
            notify('playback_failed', 'the sound output did not play it', 'warning');
          }
          transcript.speaking(clip.prefix, clip.event.item_id, clip.event.language, false);
          node.disconnect();
          resolve();
        };
        node.onended = () => finish('ended');
        this.current = { finish };
        parley.playing++;
        parley.clipsStarted++;
        parley.maxConcurrent = Math.max(parley.maxConcurrent, parley.playing);
        transcript.speaking(clip.prefix, clip.event.item_id, clip.event.language, true);
        // If the output is stuck (a suspended context fires no 'ended'), do not block the queue.
        const guard = setTimeout(() => finish('failed'), buffer.duration * 1000 + 10000);
        node.start();
      });
    },
  };

  /** The screen stays on while live (where the Wake Lock API exists), and again when the tab returns. */
  const awake = {
    lock: null,

    async hold() {
      if (!('wakeLock' in navigator) || document.visibilityState !== 'visible') {
        return;
      }
      try {
        this.lock = await navigator.wakeLock.request('screen');
        parley.wakeLock = true;
        this.lock.addEventListener('release', () => {
          parley.wakeLock = false;
        });
      } catch (e) {
        parley.wakeLock = false;      // refused (battery saver, policy): the screen may dim
      }
    },

    release() {
      if (this.lock) {
        this.lock.release().catch(() => {});
        this.lock = null;
      }
    },
  };

  // ---------------------------------------------------------------------------------------------
  // Access token: fetched before each connection; a server without the endpoint (404) needs none

  async function fetchToken() {
    let response;
    try {
      response = await fetch('/api/realtime-token', {
        method: 'POST', cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' },
      });
    } catch (e) {
      throw new Notice('server_unreachable');
    }
    if (response.status === 404) {
      return null;
    }
    if (response.status === 401 || response.status === 403) {
      throw new Notice('token_refused');
    }
    if (response.status === 429) {
      const seconds = retryAfterSeconds(response.headers.get('Retry-After')) || 10;
      retryAt = Date.now() + seconds * 1000;
      setTimeout(updateControls, seconds * 1000 + 50);
      throw new Notice('rate_limited', { seconds });
    }
    if (!response.ok) {
      throw new Notice('token_failed', `HTTP ${response.status}`);
    }
    let body;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!body || typeof body.token !== 'string' || body.token === '') {
      throw new Notice('token_failed', 'the answer held no token');
    }
    parley.tokenExpiresAt = body.expires_at || null;
    return body.token;
  }

  // ---------------------------------------------------------------------------------------------
  // One session: microphone -> worklet -> WebSocket -> events; a dropped connection is replaced

  /** Close codes of a connection that dropped (a crash, a restart) rather than one the server refused. */
  const DROPPED = new Set([1001, 1006, 1012]);

  class Session {
    constructor(settings, context) {
      this.settings = settings;
      this.context = context;      // created in the click handler, so it may start
      this.conn = null;            // the current connection: {number, ws, opened, established, openedAt, audioMs, ...}
      this.everEstablished = false;
      this.ending = false;         // Stop was pressed
      this.finished = false;
      this.sawError = false;
      this.token = null;
      this.flushed = null;
      this.timer = null;
      this.attempt = 0;
      this.lostAt = null;
      this.clickedAt = performance.now();
    }

    canStop() {
      return !this.ending && !this.finished;
    }

    async open() {
      setState('connecting', 'Opening the microphone…');
      await this.openMicrophone();
      if (this.ending) {
        return this.finish();
      }
      setState('connecting', 'Connecting…');
      this.token = await fetchToken();
      if (this.ending) {
        return this.finish();
      }
      this.connect();
    }

    async openMicrophone() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof AudioWorkletNode === 'undefined'
          || !this.context || !this.context.audioWorklet) {
        throw new Notice('mic_unsupported');
      }
      const processing = this.settings.processing;
      parley.echoCancellation = processing.echoCancellation;
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({
          audio: {
            echoCancellation: processing.echoCancellation,
            noiseSuppression: processing.noiseSuppression,
            autoGainControl: processing.autoGainControl,
            channelCount: { ideal: 1 },
          },
        });
      } catch (e) {
        const name = e && e.name;
        if (name === 'NotAllowedError' || name === 'SecurityError') {
          throw new Notice('mic_denied');
        }
        if (name === 'NotFoundError' || name === 'OverconstrainedError') {
          throw new Notice('mic_missing');
        }
        if (name === 'NotReadableError' || name === 'AbortError') {
          throw new Notice('mic_busy');
        }
        throw new Notice('mic_failed', e && e.message);
      }
      const context = this.context;
      if (context.state === 'suspended') {
        await context.resume().catch(() => {});
      }
      try {
        await context.audioWorklet.addModule('capture-worklet.js');
      } catch (e) {
        // The capture module comes from the server: a server that is down fails here first.
        throw (await reachable()) ? new Notice('mic_failed', e && e.message) : new Notice('server_unreachable');
      }
      parley.audioContextRate = context.sampleRate;
      this.node = new AudioWorkletNode(context, 'parley-capture', {
        numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
        channelCount: 1, channelCountMode: 'explicit', channelInterpretation: 'speakers',
        processorOptions: { outputRate: OUTPUT_RATE, frameMs: FRAME_MS },
      });
      this.node.port.onmessage = (event) => this.fromWorklet(event.data);
      // A silent path to the output keeps the worklet running in every browser.
      this.mute = context.createGain();
      this.mute.gain.value = 0;
      this.node.connect(this.mute).connect(context.destination);
      this.input = context.createMediaStreamSource(this.stream);
    }

    /** Echo cancellation follows Speak during a session too. */
    applyEcho(on) {
      const track = this.stream && this.stream.getAudioTracks()[0];
      if (track && track.applyConstraints) {
        track.applyConstraints({ echoCancellation: on }).then(() => {
          parley.echoCancellation = on;
        }).catch(() => {});
      }
    }

    url() {
      const s = this.settings;
      const query = new URLSearchParams({
        source: s.source, targets: s.targets.join(','), rate: String(OUTPUT_RATE), encoding: 'pcm16',
        record: s.record,
      });
      if (this.token) {
        query.set('token', this.token);
      }
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      return `${scheme}//${location.host}/v1/listen?${query}`;
    }

    connect() {
      const url = this.url();
      parley.url = url.replace(/([?&]token=)[^&]*/, '$1…');
      parley.usedToken = this.token !== null;
      const conn = this.conn = {
        number: ++parley.connections, ws: new WebSocket(url), opened: false, established: false,
        openedAt: Date.now(), audioMs: 0, sessionClosed: false, closedReason: null, endSent: false,
      };
      transcript.connection(conn.number);
      parley.sessionClosed = false;
      parley.closedReason = null;
      const ws = conn.ws;
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        conn.opened = true;
        conn.openedAt = Date.now();
        if (this.ending) {
          this.sendEnd();
          return;
        }
        if (!this.inputConnected) {
          this.inputConnected = true;
          this.input.connect(this.node);
          this.startedAt = performance.now();
          this.timer = setInterval(() => {
            ui.elapsed.textContent = clock(performance.now() - this.startedAt);
          }, 500);
        }
      };
      ws.onmessage = (message) => {
        if (typeof message.data !== 'string') {
          return;
        }
        let event;
        try {
          event = JSON.parse(message.data);
        } catch (e) {
          return;
        }
        this.handle(event, conn);
      };
      ws.onclose = (close) => this.closed(close, conn);
    }

    /** The server took the session (session.created): live, and a line in the transcript says since when. */
    established(conn) {
      conn.established = true;
      this.attempt = 0;
      const time = timeOfDay(Date.now());
      if (this.lostAt !== null) {
        const gap = Math.round((Date.now() - this.lostAt) / 1000);
        transcript.marker(`Reconnected at ${time}: about ${gap} s of speech in between was not captioned`, 'gap');
        parley.reconnects++;
        this.lostAt = null;
        clearNotice('reconnecting');
        clearNotice('server_unreachable');
        notify('reconnected', null, 'info');
        setTimeout(() => clearNotice('reconnected'), 15000);
        setState('live', 'Live (reconnected)');
      } else {
        if (ui.transcript.children.length > 0) {
          transcript.marker(`New session · ${time}`);
        }
        setState('live', 'Live');
      }
      this.everEstablished = true;
      awake.hold();
    }

    fromWorklet(message) {
      if (message.type === 'frame') {
        meter.update(message.rms, message.peak, message.clipped);
        const conn = this.conn;
        const ws = conn && conn.ws;
        if (ws && ws.readyState === WebSocket.OPEN && !conn.endSent) {
          ws.send(message.pcm);
          conn.audioMs += message.pcm.byteLength / (OUTPUT_RATE * 2 / 1000);
          parley.framesSent++;
          parley.bytesSent += message.pcm.byteLength;
          if (ws.bufferedAmount > BACKLOG_BYTES && !hasNotice('slow_network')) {
            notify('slow_network', null, 'warning');
          }
        } else if (!this.ending) {
          parley.framesNotSent++;      // disconnected: this audio is a gap, never sent later
        }
      } else if (message.type === 'ready') {
        parley.resampler = {
          inputRate: message.inputRate, outputRate: message.outputRate, phases: message.phases,
          step: message.step, taps: message.taps, frameSamples: message.frameSamples,
        };
      } else if (message.type === 'flushed' && this.flushed) {
        this.flushed();
      }
    }

    handle(event, conn) {
      if (conn !== this.conn || this.finished) {
        return;
      }
      switch (event.type) {
        case 'session.created':
          parley.sessionId = event.session_id;
          this.established(conn);
          break;
        case 'transcript.partial':
          if (parley.firstPartialMs === null) {
            parley.firstPartialMs = Math.round(performance.now() - this.clickedAt);
          }
          parley.partials++;
          showLag(conn, event);
          transcript.partial(event);
          break;
        case 'transcript.final':
          parley.finals++;
          parley.received.push({ language: event.language, text: event.text });
          showLag(conn, event);
          transcript.final(event, conn, this.settings.targets);
          break;
        case 'translation.final':
          parley.translations++;
          player.translated(event);
          transcript.translation(event);
          break;
        case 'tts.audio':
          parley.ttsReceived++;
          player.enqueue(event);
          break;
        case 'warning':
          notify(event.code, event.message, 'warning');
          break;
        case 'error':
          if (event.code === 'overloaded') {
            overload.report();
            break;
          }
          this.sawError = true;
          transcript.failed(event);
          notify(event.code, event.message,
            ['translation_failed', 'tts_failed', 'invalid_audio'].includes(event.code) ? 'warning' : 'error');
          break;
        case 'session.closed':
          conn.sessionClosed = true;
          conn.closedReason = event.reason || null;
          parley.sessionClosed = true;
          parley.closedReason = event.reason || null;
          break;
        default:
          break;                              // newer event types: ignore
      }
    }

    /** Stop: send the last partial frame, then input_audio.end, and wait for session.closed. */
    async stop() {
      if (this.ending) {
        return;
      }
      this.ending = true;
      setState('stopping', 'Finishing…');
      const ws = this.conn && this.conn.ws;
      if (ws && ws.readyState === WebSocket.OPEN) {
        await this.flush();
        this.sendEnd();
      } else if (this.lostAt !== null) {
        clearTimeout(this.retryTimer);         // reconnecting: nothing to finish on the server
        this.finish('Session ended', false);
      } else if (!ws) {
        // Still opening the microphone or fetching a token: open() notices and finishes.
        this.releaseCapture();
      }
    }

    flush() {
      if (!this.node) {
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timeout = setTimeout(resolve, 500);
        this.flushed = () => {
          clearTimeout(timeout);
          resolve();
        };
        this.node.port.postMessage({ type: 'flush' });
      });
    }

    sendEnd() {
      this.releaseCapture();
      const conn = this.conn;
      if (conn.ws.readyState === WebSocket.OPEN && !conn.endSent) {
        conn.ws.send(JSON.stringify({ type: 'input_audio.end' }));
        conn.endSent = true;
      }
      this.closeTimer = setTimeout(() => {
        if (!this.finished) {
          notify('close_timeout', null, 'warning');
          conn.ws.close(1000, 'the client stopped waiting');
        }
      }, CLOSE_WAIT_MS);
    }

    releaseCapture() {
      if (this.released) {
        return;
      }
      this.released = true;
      try {
        if (this.node) {
          this.node.port.onmessage = null;
          this.node.port.postMessage({ type: 'stop' });
          this.node.disconnect();
        }
        if (this.input) {
          this.input.disconnect();
        }
      } catch (e) {
        // already disconnected
      }
      if (this.stream) {
        this.stream.getTracks().forEach((track) => track.stop());
      }
      if (this.context && this.context.state !== 'closed') {
        this.context.close().catch(() => {});
      }
      clearInterval(this.timer);
      meter.reset();
    }

    async closed(close, conn) {
      if (conn !== this.conn) {
        return;
      }
      parley.closeCode = close.code;
      parley.closeReason = close.reason || null;
      const code = close.code;
      const reason = close.reason || '';
      const restarting = ['server_shutdown', 'server_crashed'].includes(conn.closedReason);
      const dropped = !this.ending && (restarting || (DROPPED.has(code) && !conn.sessionClosed));
      if (dropped && (conn.established || this.lostAt !== null)) {
        clearTimeout(this.closeTimer);
        if (conn.established) {
          parley.drops.push({ code, reason: conn.closedReason });
          this.lost();
        }
        this.retry();
        return;
      }
      clearTimeout(this.closeTimer);
      this.releaseCapture();
      let failed = true;
      if (!conn.opened && !this.everEstablished) {
        await this.diagnose();
      } else if (code === 4401) {
        notify('token_refused', reason);
      } else if (code === 1013) {
        if (!hasNotice('capacity')) {
          notify('capacity');
        }
      } else if (code === 1008) {
        if (!this.sawError) {
          notify('session_refused', reason);
        }
      } else if (code === 1009) {
        notify('frame_too_large', reason);
      } else if (code === 1011) {
        notify('server_error', reason);
      } else if (code === 1000 && conn.sessionClosed) {
        failed = false;
      } else if (code === 1000 || code === 1001) {
        if (!this.sawError) {
          notify('server_closed', reason, 'warning');
        }
      } else {
        notify('connection_lost', reason);
      }
      this.finish(failed ? 'Disconnected' : 'Session ended', failed);
    }

    /** The connection dropped mid-session: what was unfinished stays, marked lost; the microphone keeps running. */
    lost() {
      this.lostAt = Date.now();
      transcript.lose();
      transcript.marker(`Connection lost at ${timeOfDay(this.lostAt)}`, 'gap');
      overload.clear();
      hideLag();
      notify('reconnecting', null, 'warning');
      setState('reconnecting', 'Connection lost: reconnecting…');
    }

    /** Tries again with a fresh token, waiting longer each time (up to 5 s), until it works or the user stops. */
    retry() {
      const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)];
      this.attempt++;
      this.retryTimer = setTimeout(async () => {
        if (this.ending || this.finished) {
          return;
        }
        try {
          this.token = await fetchToken();
        } catch (e) {
          if (e instanceof Notice && (e.code === 'server_unreachable' || e.code === 'token_failed' || e.code === 'rate_limited')) {
            setState('reconnecting', e.code === 'server_unreachable'
              ? 'Server unreachable: reconnecting…' : 'Reconnecting…');
            this.retry();
            return;
          }
          notifyFailure(e);
          this.finish('Disconnected', true);
          return;
        }
        if (!this.ending && !this.finished) {
          this.connect();
        }
      }, delay);
    }

    /** The socket never opened: the server is down, or refused the upgrade (e.g. 401 for a bad token). */
    async diagnose() {
      if (!(await reachable())) {
        notify('server_unreachable');
      } else if (this.token) {
        notify('token_refused');
      } else {
        notify('connection_refused');
      }
    }

    finish(text, failed) {
      if (this.finished) {
        return;
      }
      this.finished = true;
      clearTimeout(this.retryTimer);
      clearNotice('reconnecting');
      this.releaseCapture();
      awake.release();
      overload.clear();
      hideLag();
      if (failed) {
        transcript.lose();
      } else {
        transcript.settle();
      }
      if (session === this) {
        session = null;
      }
      const hadFocus = document.activeElement === ui.stop || document.activeElement === document.body;
      setState(failed ? 'error' : 'closed', text || 'Not connected');
      if (hadFocus && !ui.start.disabled) {
        ui.start.focus();
      }
      transcript.jump();
    }
  }

  async function reachable() {
    try {
      return (await fetch('/observe/health/live', { cache: 'no-store' })).status > 0;
    } catch (e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Buttons

  async function start() {
    if (session) {
      return;
    }
    const Context = window.AudioContext || window.webkitAudioContext;
    // Both audio contexts are made inside the click, so browsers let them run.
    player.unlock();
    const context = Context ? new Context({ latencyHint: 'interactive' }) : null;
    ui.notices.textContent = '';
    parley.sessions++;
    parley.sessionId = null;
    parley.sessionClosed = false;
    parley.closedReason = null;
    parley.closeCode = null;
    parley.firstPartialMs = null;
    ui.elapsed.textContent = '00:00';
    document.body.classList.add('folded');
    const current = session = new Session({
      source: ui.source.value,
      targets: targetOrder.slice(),
      record: consent(),
      processing: {
        echoCancellation: ui.echo.checked, noiseSuppression: ui.noise.checked, autoGainControl: ui.gain.checked,
      },
    }, context);
    updateControls();
    ui.stop.focus();
    try {
      await current.open();
    } catch (e) {
      notifyFailure(e);
      current.finish('Not connected', true);
    }
  }

  ui.start.addEventListener('click', start);
  ui.stop.addEventListener('click', () => {
    player.unlock();
    if (session) {
      session.stop();
      updateControls();
    }
  });
  ui.source.addEventListener('change', () => {
    fillTargets(null);
    remember();
  });
  for (const radio of document.querySelectorAll('input[name="record"]')) {
    radio.addEventListener('change', updateControls);
  }
  ui.echo.addEventListener('change', () => {
    ui.echo.dataset.chosen = String(ui.echo.checked);
    remember();
  });
  for (const box of [ui.noise, ui.gain]) {
    box.addEventListener('change', remember);
  }
  ui.speak.addEventListener('change', () => {
    if (!ui.speak.checked) {
      player.stopAll();
    }
    applyEchoRule();
    if (session && speaksAloud()) {
      session.applyEcho(true);
    }
    remember();
  });
  ui.speakLanguage.addEventListener('change', () => {
    player.stopAll();
    remember();
  });
  ui.captionLanguage.addEventListener('change', () => {
    captions.render();
    remember();
  });
  ui.large.addEventListener('click', () => (ui.captions.hidden ? captions.open() : captions.close()));
  ui.captionsClose.addEventListener('click', () => captions.close());
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !ui.captions.hidden) {
      captions.close();
    }
  });
  ui.settingsToggle.addEventListener('click', () => {
    document.body.classList.toggle('folded');
    updateControls();
  });
  ui.jump.addEventListener('click', () => transcript.jump());
  window.addEventListener('scroll', () => transcript.scrolled(), { passive: true });
  ui.transcript.addEventListener('scroll', () => transcript.scrolled(), { passive: true });
  ui.exportLanguage.addEventListener('change', updateControls);
  ui.copy.addEventListener('click', () => exporter.copy());
  ui.downloadText.addEventListener('click', () => exporter.download(exporter.fileName('txt'), exporter.text(), 'text/plain'));
  ui.downloadSrt.addEventListener('click', () => {
    const language = ui.exportLanguage.value;
    exporter.download(exporter.fileName('srt', language), exporter.srt(language), 'application/x-subrip');
  });
  ui.downloadVtt.addEventListener('click', () => {
    const language = ui.exportLanguage.value;
    exporter.download(exporter.fileName('vtt', language), exporter.vtt(language), 'text/vtt');
  });
  ui.clear.addEventListener('click', () => {
    if (window.confirm('Clear the transcript from this browser? Download it first if you want to keep it.')) {
      player.stopAll();
      transcript.clear();
      ui.start.focus();
    }
  });
  window.addEventListener('beforeunload', (e) => {
    if (session) {
      e.preventDefault();
      e.returnValue = '';             // the browser asks before leaving a live session
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && session && parley.state === 'live') {
      awake.hold();
    }
  });

  ui.echo.dataset.chosen = String(saved().echo === true);
  ui.noise.checked = saved().noise === true;
  ui.gain.checked = saved().gain === true;
  ui.speak.checked = saved().speak !== false;
  store.load();
  transcript.restore();
  updateControls();
  loadLanguages();
})();
