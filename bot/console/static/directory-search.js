// Searching the directory from a conversation: an operator finds a verified entry (province, type, text) and puts it
// into the reply (in the bot's own wording, `reply_text`) or chooses it as the referral when closing.

import { api } from './api.js';
import { $, el, fill } from './dom.js';

let wired = false;

async function search(actions) {
  const params = new URLSearchParams();
  if ($('dir-province').value) params.set('province', $('dir-province').value);
  if ($('dir-type').value) params.set('type', $('dir-type').value);
  if ($('dir-text').value.trim()) params.set('q', $('dir-text').value.trim());
  const { entries } = await api('GET', `/api/directory?${params}`);
  fill($('dir-results'), entries.slice(0, 20).map((entry) => el('li', { dataset: { id: entry.id } },
    el('div', { text: `${entry.name} (${entry.type_label})` }),
    el('div', { class: 'hint', text: [entry.province || entry.country || 'toàn quốc', entry.phone].filter(Boolean).join(' · ') }),
    el('button', { type: 'button', class: 'quiet', text: 'Chèn vào trả lời', dataset: { action: 'insert' }, onclick: () => actions.insert(entry.reply_text) }),
    el('button', { type: 'button', class: 'quiet', text: 'Chọn làm nơi chuyển tuyến', dataset: { action: 'refer' }, onclick: () => actions.refer(entry.id) }))));
  $('dir-empty').hidden = entries.length > 0;
}

export async function wireDirectorySearch(actions) {
  if (wired) return;
  wired = true;
  const coverage = await api('GET', '/api/directory/coverage');
  const provinces = [...new Set(coverage.rows.map((row) => row.province))];
  $('dir-province').append(...provinces.map((name) => el('option', { value: name, text: name })));
  $('dir-type').append(...coverage.types.map((t) => el('option', { value: t.name, text: t.label })));
  $('dir-search').addEventListener('input', () => search(actions).catch(() => null));
  $('dir-search').addEventListener('submit', (event) => { event.preventDefault(); search(actions).catch(() => null); });
}
