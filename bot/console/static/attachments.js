// What a person attached, in the transcript: a picture shown, a voice note played, any other file to download —
// for the operator holding the conversation and supervisors (the server refuses anyone else as well). The place a
// photo's EXIF held is asked for separately, by the holder only.

import { api, conversationPath } from './api.js';
import { el } from './dom.js';

const PICTURES = new Set(['photo']);
const SOUNDS = new Set(['voice', 'audio']);

function place(url) {
  const shown = el('span', { class: 'attachment-place' });
  const ask = el('button', {
    type: 'button', class: 'quiet', text: 'Vị trí trong ảnh',
    onclick: async () => {
      const { location } = await api('GET', `${url}/location`);
      shown.replaceChildren(location
        ? el('a', { href: location.map_url, target: '_blank', rel: 'noopener noreferrer', text: `${location.latitude.toFixed(4)}, ${location.longitude.toFixed(4)}` })
        : 'Ảnh không có vị trí');
    },
  });
  return el('span', {}, ask, ' ', shown);
}

// The transcript is drawn again whenever it grows: the same element goes back in its place, so a voice note keeps
// playing (and a picture is not fetched again) while the person writes more.
const drawn = new Map();

export function attachment(item, data, supervisor) {
  if (!item.attachment) return null;
  const key = `${data.id} ${item.attachment} ${data.mine} ${supervisor}`;
  if (!drawn.has(key)) {
    for (const old of drawn.keys()) if (!old.startsWith(`${data.id} `)) drawn.delete(old);
    drawn.set(key, draw(item, data, supervisor, key));
  }
  return drawn.get(key);
}

// Not kept (it could not be fetched from the platform), or erased since: said in words, not a broken picture.
function gone(node, key) {
  const note = el('span', { class: 'attachment-note', text: ' (tệp không còn lưu hoặc chưa tải được)' });
  if (drawn.has(key)) drawn.set(key, note);
  node.replaceWith(note);
}

function draw(item, data, supervisor, key) {
  if (!(data.mine || supervisor)) {
    return el('span', { class: 'attachment-note', text: ' (tệp đính kèm: chỉ người đang hỗ trợ và giám sát viên xem được)' });
  }
  const url = `${conversationPath(data.id)}/attachments/${encodeURIComponent(item.attachment)}`;
  if (PICTURES.has(item.kind)) {
    const shown = el('span', { class: 'attachment' },
      el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' },
        el('img', { src: url, alt: 'Ảnh người nhắn gửi', class: 'attachment-image', loading: 'lazy', onerror: () => gone(shown, key) })),
      data.mine ? place(url) : null);
    return shown;
  }
  if (SOUNDS.has(item.kind)) {
    const sound = el('audio', { controls: true, preload: 'metadata', src: url, class: 'attachment-audio', onerror: () => gone(sound, key) });
    return sound;
  }
  return el('a', { href: url, download: '', class: 'attachment', text: 'Tải tệp xuống' });
}
