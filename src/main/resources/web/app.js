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
    languages_failed: 'The list of languages could not be loaded. Retrying…',
    token_refused: 'The server refused access to this session (your access token was not accepted). Reload the page and try again; if it keeps happening, you may need to sign in again.',
    token_failed: 'The server could not issue an access token for this session. Try again in a moment.',
    rate_limited: (d) => `Too many sessions were started in a short time. Try again in ${d && d.seconds ? d.seconds + ' seconds' : 'a moment'}.`,
    connection_refused: 'The server refused the connection. If sign-in is required, reload the page and try again.',
    connection_lost: 'The connection to the server was lost. Press Start to begin a new session.',
    close_timeout: 'The server did not confirm the end of the session in time; the connection was closed. The last sentence may be missing.',
    capacity: 'Parley is at capacity right now: every speech recognizer is busy. Try again in a minute.',
    unsupported_language_pair: 'This language pair is not available. Choose other languages and press Start again.',
    session_refused: 'The server refused these session settings.',
    input_silent: "We can't hear you: the microphone has been silent for a few seconds. Check that the right microphone is selected and not muted.",
    input_clipped: 'Your microphone is too loud and the sound is distorted. Move back a little or turn the input volume down.',
    idle_timeout: 'The session ended because no audio arrived for a while.',
    max_duration: 'The session reached its maximum length and was ended.',
    overloaded: 'The server is falling behind and skipped some audio: a few words may be missing.',
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
    state: 'idle', sessions: 0, sessionId: null, sessionClosed: false, closedReason: null,
    closeCode: null, closeReason: null, url: null, usedToken: false,
    audioContextRate: null, resampler: null, framesSent: 0, bytesSent: 0, maxLevelDb: null,
    partials: 0, finals: 0, translations: 0,
    ttsReceived: 0, clipsSkipped: 0, clipsStarted: 0, clipsEnded: 0, clipsFailed: 0,
    playing: 0, maxConcurrent: 0, queued: 0,
    notices: [],
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), source: $('source'), targets: $('targets'), targetsHint: $('targets-hint'),
    start: $('start'), stop: $('stop'), startHint: $('start-hint'),
    echo: $('echo-cancellation'), noise: $('noise-suppression'), gain: $('auto-gain'), speak: $('speak'),
    meter: $('meter'), meterBar: $('meter-bar'), meterPeak: $('meter-peak'), meterValue: $('meter-value'),
    elapsed: $('elapsed'), sessionId: $('session-id'), notices: $('notices'), transcript: $('transcript'),
    empty: $('empty'), speaking: $('speaking'),
  };

  let languages = null;     // the answer of /api/languages
  let session = null;       // the session being opened, live or finishing
  let retryAt = 0;          // rate limited until (ms since epoch)

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

  // ---------------------------------------------------------------------------------------------
  // Status and notices

  function setState(state, text) {
    parley.state = state;
    ui.status.dataset.state = state;
    ui.status.textContent = text;
    updateControls();
  }

  /** Shows a message (replacing an earlier one of the same code). level: 'error', 'warning' or 'info'. */
  function notify(code, detail, level) {
    const message = MESSAGES[code];
    let text = typeof message === 'function' ? message(detail) : (message || 'Something went wrong.');
    const extra = typeof detail === 'string' ? detail.trim() : '';
    level = level || 'error';
    clearNotice(code);
    const li = element('li', `notice ${level}`);
    li.dataset.code = code;
    li.appendChild(element('span', 'notice-text', text));
    if (extra && (!message || level === 'error')) {
      li.appendChild(element('span', 'notice-detail', extra));
    }
    const close = element('button', 'notice-close', '×');
    close.type = 'button';
    close.title = 'Dismiss';
    close.setAttribute('aria-label', 'Dismiss this message');
    close.addEventListener('click', () => li.remove());
    li.appendChild(close);
    ui.notices.appendChild(li);
    parley.notices.push({ code, level, text, detail: extra });
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

  // ---------------------------------------------------------------------------------------------
  // Languages and the form

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
    const previous = ui.source.value;
    ui.source.textContent = '';
    for (const code of sources) {
      const option = element('option', null, `${languageName(code)} (${code})`);
      option.value = code;
      ui.source.appendChild(option);
    }
    if (sources.includes(previous)) {
      ui.source.value = previous;
    } else if (sources.includes('en')) {
      ui.source.value = 'en';
    }
    fillTargets();
    updateControls();
  }

  function fillTargets() {
    const checked = new Set(selectedTargets());
    const list = (languages && languages.targets && languages.targets[ui.source.value]) || [];
    const voices = new Set((languages && languages.tts) || []);
    ui.targets.textContent = '';
    for (const code of list) {
      const label = element('label', 'chip');
      const box = element('input');
      box.type = 'checkbox';
      box.name = 'target';
      box.value = code;
      box.checked = checked.has(code);
      label.appendChild(box);
      label.appendChild(element('span', 'chip-name', languageName(code)));
      label.appendChild(element('span', 'chip-code', code));
      if (!voices.has(code)) {
        label.title = 'Text only: no voice for this language';
        label.appendChild(element('span', 'chip-note', 'text only'));
      }
      ui.targets.appendChild(label);
    }
    ui.targetsHint.textContent = list.length
      ? 'Pick one or more. None: transcript only.'
      : 'No translation is available from this language: transcript only.';
  }

  function selectedTargets() {
    return Array.from(ui.targets.querySelectorAll('input[name="target"]:checked')).map((box) => box.value);
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
    for (const input of document.querySelectorAll('#targets input, #consent input, .advanced input:not(#speak)')) {
      input.disabled = busy;
    }
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
  }

  // ---------------------------------------------------------------------------------------------
  // Microphone level meter

  const meter = {
    rmsDb: -Infinity, peakDb: -Infinity, hold: -60, clipUntil: 0, pending: false,

    update(rms, peak, clipped) {
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
  // The transcript

  const transcript = {
    items: new Map(),
    prefix: '',

    newSession(number) {
      this.prefix = `s${number}:`;
      if (ui.transcript.children.length > 0) {
        const divider = element('li', 'divider', `New session · ${new Date().toLocaleTimeString()}`);
        ui.transcript.appendChild(divider);
      }
    },

    item(id) {
      const key = this.prefix + id;
      let li = this.items.get(key);
      if (!li) {
        li = element('li', 'utterance');
        li.dataset.itemId = id;
        const head = element('div', 'utterance-head');
        head.appendChild(element('time', 'time', 'live'));
        head.appendChild(element('p', 'source'));
        li.appendChild(head);
        li.appendChild(element('div', 'translations'));
        this.items.set(key, li);
        this.append(li);
      }
      return li;
    },

    append(li) {
      const list = ui.transcript;
      const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
      list.appendChild(li);
      ui.empty.hidden = true;
      if (stick) {
        list.scrollTop = list.scrollHeight;
      }
    },

    partial(event) {
      const li = this.item(event.item_id);
      if (li.classList.contains('final')) {
        return;                                 // a late partial never replaces a final
      }
      li.classList.add('partial');
      li.querySelector('.source').textContent = event.text || '…';
    },

    final(event, targets) {
      const li = this.item(event.item_id);
      li.classList.remove('partial');
      li.classList.add('final');
      const source = li.querySelector('.source');
      source.textContent = event.text;
      if (event.language) {
        source.lang = event.language;
      }
      const time = li.querySelector('.time');
      time.textContent = clock(event.start_ms);
      time.title = `${clock(event.start_ms)}–${clock(event.end_ms)} into the session`;
      for (const language of targets) {
        this.translationRow(li, language);      // placeholders, in the order the user chose
      }
    },

    translationRow(li, language) {
      const box = li.querySelector('.translations');
      let row = box.querySelector(`.translation[data-lang="${CSS.escape(language)}"]`);
      if (!row) {
        row = element('p', 'translation pending');
        row.dataset.lang = language;
        row.lang = language;
        const badge = element('span', 'lang', language);
        badge.title = languageName(language);
        row.appendChild(badge);
        row.appendChild(element('span', 'text', 'translating…'));
        box.appendChild(row);
      }
      return row;
    },

    translation(event) {
      const row = this.translationRow(this.item(event.item_id), event.language);
      row.classList.remove('pending', 'failed');
      row.querySelector('.text').textContent = event.text;
    },

    failed(event) {
      if (!event.item_id || !event.language) {
        return;
      }
      const row = this.translationRow(this.item(event.item_id), event.language);
      if (event.code === 'translation_failed') {
        row.classList.remove('pending');
        row.classList.add('failed');
        row.querySelector('.text').textContent = 'translation unavailable';
      }
    },

    speaking(itemId, language, on, prefix) {
      const li = this.items.get(prefix + itemId);
      const row = li && li.querySelector(`.translation[data-lang="${CSS.escape(language)}"]`);
      if (row) {
        row.classList.toggle('speaking', on);
      }
      ui.speaking.hidden = !on;
    },
  };

  // ---------------------------------------------------------------------------------------------
  // Spoken translations: one clip at a time, in the order they came

  const player = {
    context: null,
    queue: [],
    busy: false,

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

    enqueue(event) {
      if (!ui.speak.checked) {
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
      this.queue.push({ event, decoding, prefix: transcript.prefix });
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
          await this.play(buffer, clip);
        }
      } finally {
        this.busy = false;
      }
    },

    play(buffer, clip) {
      return new Promise((resolve) => {
        const node = this.context.createBufferSource();
        node.buffer = buffer;
        node.connect(this.context.destination);
        let done = false;
        const finish = (ended) => {
          if (done) {
            return;
          }
          done = true;
          clearTimeout(guard);
          parley.playing--;
          if (ended) {
            parley.clipsEnded++;
          } else {
            parley.clipsFailed++;
            notify('playback_failed', 'the sound output did not play it', 'warning');
          }
          transcript.speaking(clip.event.item_id, clip.event.language, false, clip.prefix);
          node.disconnect();
          resolve();
        };
        node.onended = () => finish(true);
        parley.playing++;
        parley.clipsStarted++;
        parley.maxConcurrent = Math.max(parley.maxConcurrent, parley.playing);
        transcript.speaking(clip.event.item_id, clip.event.language, true, clip.prefix);
        // If the output is stuck (a suspended context fires no 'ended'), do not block the queue.
        const guard = setTimeout(() => finish(false), buffer.duration * 1000 + 10000);
        node.start();
      });
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
  // One session: microphone -> worklet -> WebSocket -> events

  class Session {
    constructor(settings, context) {
      this.settings = settings;
      this.context = context;      // created in the click handler, so it may start
      this.ws = null;
      this.opened = false;         // the WebSocket opened
      this.ending = false;         // Stop was pressed
      this.finished = false;
      this.sawError = false;
      this.token = null;
      this.flushed = null;
      this.timer = null;
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
      await context.audioWorklet.addModule('capture-worklet.js');
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
      const ws = this.ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        this.opened = true;
        if (this.ending) {
          this.sendEnd();
          return;
        }
        this.input.connect(this.node);
        this.startedAt = performance.now();
        this.timer = setInterval(() => {
          ui.elapsed.textContent = clock(performance.now() - this.startedAt);
        }, 500);
        setState('live', 'Listening');
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
        this.handle(event);
      };
      ws.onclose = (close) => this.closed(close);
    }

    fromWorklet(message) {
      if (message.type === 'frame') {
        meter.update(message.rms, message.peak, message.clipped);
        const ws = this.ws;
        if (ws && ws.readyState === WebSocket.OPEN && !this.endSent) {
          ws.send(message.pcm);
          parley.framesSent++;
          parley.bytesSent += message.pcm.byteLength;
          if (ws.bufferedAmount > BACKLOG_BYTES && !hasNotice('slow_network')) {
            notify('slow_network', null, 'warning');
          }
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

    handle(event) {
      switch (event.type) {
        case 'session.created':
          parley.sessionId = event.session_id;
          ui.sessionId.textContent = event.session_id || '';
          break;
        case 'transcript.partial':
          parley.partials++;
          transcript.partial(event);
          break;
        case 'transcript.final':
          parley.finals++;
          transcript.final(event, this.settings.targets);
          break;
        case 'translation.final':
          parley.translations++;
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
          this.sawError = true;
          transcript.failed(event);
          notify(event.code, event.message,
            ['translation_failed', 'tts_failed', 'overloaded', 'invalid_audio'].includes(event.code) ? 'warning' : 'error');
          break;
        case 'session.closed':
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
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        await this.flush();
        this.sendEnd();
      } else if (!this.ws) {
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
      if (this.ws.readyState === WebSocket.OPEN && !this.endSent) {
        this.ws.send(JSON.stringify({ type: 'input_audio.end' }));
        this.endSent = true;
      }
      this.closeTimer = setTimeout(() => {
        if (!this.finished) {
          notify('close_timeout', null, 'warning');
          this.ws.close(1000, 'the client stopped waiting');
        }
      }, CLOSE_WAIT_MS);
    }

    releaseCapture() {
      if (this.released) {
        return;
      }
      this.released = true;
      try {
        if (this.input) {
          this.input.disconnect();
        }
        if (this.node) {
          this.node.port.postMessage({ type: 'stop' });
          this.node.disconnect();
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

    async closed(close) {
      parley.closeCode = close.code;
      parley.closeReason = close.reason || null;
      clearTimeout(this.closeTimer);
      this.releaseCapture();
      const code = close.code;
      const reason = close.reason || '';
      let failed = true;
      if (!this.opened) {
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
      } else if (code === 1000 && parley.sessionClosed) {
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

    /** The socket never opened: the server is down, or refused the upgrade (e.g. 401 for a bad token). */
    async diagnose() {
      let reachable = false;
      try {
        reachable = (await fetch('/observe/health/live', { cache: 'no-store' })).status > 0;
      } catch (e) {
        reachable = false;
      }
      if (!reachable) {
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
      this.releaseCapture();
      if (session === this) {
        session = null;
      }
      setState(failed ? 'error' : 'closed', text || 'Not connected');
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
    ui.sessionId.textContent = '';
    ui.elapsed.textContent = '00:00';
    transcript.newSession(parley.sessions);
    const current = session = new Session({
      source: ui.source.value,
      targets: selectedTargets(),
      record: consent(),
      processing: {
        echoCancellation: ui.echo.checked, noiseSuppression: ui.noise.checked, autoGainControl: ui.gain.checked,
      },
    }, context);
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
    fillTargets();
    updateControls();
  });
  for (const radio of document.querySelectorAll('input[name="record"]')) {
    radio.addEventListener('change', updateControls);
  }

  updateControls();
  loadLanguages();
})();
