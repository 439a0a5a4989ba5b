// An app written for OpenAI's Realtime transcription, with the official Node SDK (openai 6.x,
// OpenAIRealtimeWS) unchanged but for its base URL and key. It streams 24 kHz PCM16 files at the pace
// of speech and records every server event with the time it arrived.
//
// With EPHEMERAL=true it connects as a browser app does: its backend, holding the API key, mints an
// ephemeral key (client_secrets), and the app connects with that.
//
// env: BASE_URL (e.g. https://127.0.0.1:8443/v1), API_KEY, MODE (vad | manual), SPEECH (a .pcm file),
//      CLEARED (manual only: a .pcm file appended, then cleared), EPHEMERAL, OUT (where the record is written).
import fs from 'node:fs';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

const { BASE_URL, API_KEY, MODE, SPEECH, CLEARED, EPHEMERAL, OUT } = process.env;
const CHUNK = 4800; // 100 ms of 24 kHz PCM16
const started = Date.now();
const events = [];
const sent = [];
let wanted = null;

let secret = null;
let key = API_KEY;
if (EPHEMERAL === 'true') {
  const backend = new OpenAI({ apiKey: API_KEY, baseURL: BASE_URL });
  secret = await backend.realtime.clientSecrets.create({ session: { type: 'transcription' } });
  secret.received_at = Math.floor(Date.now() / 1000);
  key = secret.value;
}
const client = new OpenAI({ apiKey: key, baseURL: BASE_URL });
const rt = await OpenAIRealtimeWS.create(client, { model: 'gpt-4o-transcribe' });
rt.on('event', (event) => {
  events.push({ at: Date.now() - started, event });
  if (wanted && wanted.test(event)) {
    const w = wanted;
    wanted = null;
    w.resolve(event);
  }
});
rt.on('error', () => {}); // error events are recorded above; the test reads them

function next(test, seconds = 60) {
  return new Promise((resolve, reject) => {
    const found = events.find((e) => test(e.event));
    if (found) return resolve(found.event);
    const timer = setTimeout(() => reject(new Error('no matching event within ' + seconds + ' s')), seconds * 1000);
    wanted = { test, resolve: (event) => { clearTimeout(timer); resolve(event); } };
  });
}

function send(event) {
  sent.push({ at: Date.now() - started, type: event.type });
  rt.send(event);
}

async function stream(file, paced) {
  const audio = fs.readFileSync(file);
  for (let off = 0; off < audio.length; off += CHUNK) {
    send({ type: 'input_audio_buffer.append', audio: audio.subarray(off, off + CHUNK).toString('base64') });
    if (paced) await new Promise((r) => setTimeout(r, 100));
  }
}

await new Promise((resolve, reject) => {
  rt.socket.on('open', resolve);
  rt.socket.on('error', reject);
});
await next((e) => e.type === 'session.created');
send({
  type: 'session.update',
  session: {
    type: 'transcription',
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: 24000 },
        transcription: { model: 'gpt-4o-transcribe', language: 'en' },
        turn_detection: MODE === 'vad' ? { type: 'server_vad', silence_duration_ms: 500 } : null,
      },
    },
  },
});
await next((e) => e.type === 'session.updated');

const completed = (id) => (e) => e.type === 'conversation.item.input_audio_transcription.completed' && e.item_id === id;
if (MODE === 'manual') {
  await stream(CLEARED, false);
  send({ type: 'input_audio_buffer.clear' });
  await next((e) => e.type === 'input_audio_buffer.cleared');
  await stream(SPEECH, true);
  const from = events.length;
  send({ type: 'input_audio_buffer.commit' });
  const committed = await next((e) => e.type === 'input_audio_buffer.committed' && events.findIndex((x) => x.event === e) >= from);
  await next(completed(committed.item_id));
} else {
  await stream(SPEECH, true);
  // Every item the server announced gets its transcript.
  const deadline = Date.now() + 60000;
  for (;;) {
    const announced = new Set(events.filter((e) => e.event.type === 'input_audio_buffer.speech_started').map((e) => e.event.item_id));
    for (const e of events) if (e.event.type === 'conversation.item.input_audio_transcription.completed') announced.delete(e.event.item_id);
    if (announced.size === 0 && events.some((e) => e.event.type === 'conversation.item.input_audio_transcription.completed')) break;
    if (Date.now() > deadline) throw new Error('items without a transcript: ' + [...announced]);
    await new Promise((r) => setTimeout(r, 50));
  }
}
rt.close();
fs.writeFileSync(OUT, JSON.stringify({ url: rt.url.toString(), secret, events, sent }, null, 1));
console.log('recorded ' + events.length + ' events from ' + rt.url);
process.exit(0);
