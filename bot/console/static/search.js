// Finding a conversation (GET /api/search) by id, campaign, close tag and date — never by what anyone wrote.

import { api } from './api.js';
import { $, el, fill } from './dom.js';
import { OUTCOME, RISK, STATE, channelOf, time } from './format.js';

let tags = null;

export async function showSearch() {
  if (!tags) {
    tags = (await api('GET', '/api/close-tags')).tags;
    fill($('search-tag'), [el('option', { value: '', text: '— Mọi chủ đề —' }),
      ...tags.map((tag) => el('option', { value: tag.id, text: tag.label }))]);
  }
  $('search-id').focus();
}

const label = (id) => (tags || []).find((tag) => tag.id === id)?.label || id;

function result(item) {
  const parts = [channelOf(item.id), item.id, STATE[item.state] || item.state,
    item.risk ? RISK[item.risk] || item.risk : null, item.campaign ? `Chiến dịch: ${item.campaign}` : null,
    item.closed_at ? `Kết thúc ${time(item.closed_at)}: ${OUTCOME[item.outcome] || item.outcome || ''}` : null,
    item.tags.length ? item.tags.map(label).join(', ') : null, item.follow_up ? 'cần liên hệ lại' : null];
  return el('li', { dataset: { id: item.id } },
    el('a', { href: `#/c/${encodeURIComponent(item.id)}` }, parts.filter(Boolean).join(' · '),
      item.summary ? el('span', { class: 'held', text: item.summary }) : null));
}

export function wireSearch(onError) {
  $('search-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('search-error').textContent = '';
    const query = new URLSearchParams();
    for (const [name, id] of [['id', 'search-id'], ['campaign', 'search-campaign'], ['tag', 'search-tag'], ['from', 'search-from'], ['to', 'search-to']]) {
      const value = $(id).value.trim();
      if (value) query.set(name, value);
    }
    if (![...query.keys()].length) {
      $('search-error').textContent = 'Hãy nhập ít nhất một điều kiện: mã, chiến dịch, chủ đề hoặc ngày.';
      return;
    }
    try {
      const { results, more } = await api('GET', `/api/search?${query}`);
      fill($('search-results'), results.map(result));
      $('search-status').textContent = results.length
        ? `${results.length} cuộc trò chuyện${more ? ' (mới nhất; hãy thu hẹp điều kiện để xem thêm)' : ''}.`
        : 'Không tìm thấy cuộc trò chuyện nào.';
    } catch (error) {
      onError(error, 'search-error');
    }
  });
}
