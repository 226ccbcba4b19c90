// Canned replies by typing "/" in the reply box: "/tre" lists the replies whose title or text matches, under their
// groups; ↑/↓ choose, Enter (or a click) puts the reply in place of "/tre", Esc leaves the text as typed.

import { $, el, fill } from './dom.js';
import { grouped } from './conversation.js';

const fold = (text) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

export function matching(replies, query) {
  const wanted = fold(query.trim());
  return replies.filter((reply) => !wanted || fold(`${reply.title} ${reply.group || ''} ${reply.text}`).includes(wanted));
}

export function wireCannedSearch(replies, changed) {
  const box = $('reply-text');
  let found = [];
  let chosen = 0;
  const close = () => { $('canned-search').hidden = true; box.removeAttribute('aria-activedescendant'); };
  const pick = (reply) => {
    box.value = reply.text;
    close();
    changed(box.value);
    box.focus();
  };
  const render = () => {
    const nodes = [];
    let index = 0;
    for (const [name, items] of grouped(found)) {
      nodes.push(el('h4', { text: name }));
      for (const reply of items) {
        const mine = index;
        nodes.push(el('button', { type: 'button', class: 'quiet', role: 'option', id: `canned-option-${mine}`,
          'aria-selected': mine === chosen ? 'true' : 'false', dataset: { canned: reply.id }, text: reply.title,
          onclick: () => pick(reply) }));
        index += 1;
      }
    }
    if (!found.length) nodes.push(el('p', { class: 'empty', text: 'Không có câu trả lời mẫu nào khớp.' }));
    fill($('canned-results'), nodes);
    box.setAttribute('aria-activedescendant', `canned-option-${chosen}`);
  };
  box.setAttribute('aria-controls', 'canned-results');
  box.addEventListener('input', () => {
    if (!box.value.startsWith('/') || box.value.includes('\n')) { close(); return; }
    // Listed in group order, as they are shown.
    found = [...grouped(matching(replies(), box.value.slice(1))).values()].flat();
    chosen = 0;
    $('canned-search').hidden = false;
    render();
  });
  box.addEventListener('keydown', (event) => {
    if ($('canned-search').hidden) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (found.length) chosen = (chosen + (event.key === 'ArrowDown' ? 1 : -1) + found.length) % found.length;
      render();
    } else if (event.key === 'Enter' && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      if (found[chosen]) pick(found[chosen]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
}
