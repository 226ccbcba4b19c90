// The supervisor's live board (GET /api/board): problems first — each a link into the conversation, to join or take
// over — then every operator with their status and the conversations they hold, how long each person has waited;
// then the teams (bot/state/teams.py): who of each is on duty, and what waits for it.

import { api } from './api.js';
import { $, el, fill } from './dom.js';
import { RISK, STATUS, duration, time } from './format.js';

function problemText(problem, rules) {
  const risk = RISK[problem.risk] || problem.risk;
  const waited = duration(problem.seconds);
  if (problem.kind === 'holder_away') {
    return `${problem.operator} ${(STATUS[problem.status] || problem.status).toLowerCase()} nhưng vẫn giữ cuộc trò chuyện (${risk})${problem.since ? ` — đã ${waited}, tự trả lại hàng chờ sau ${rules.handback_grace_minutes} phút` : ''}`;
  }
  if (problem.kind === 'high_risk_waiting') return `${risk}: chờ ${waited} mà chưa ai nhận (quá ${rules.high_risk_minutes} phút)${problem.team ? ` — nhóm ${problem.team}` : ''}`;
  return `Người nhắn chờ câu trả lời ${waited} (${problem.operator} đang giữ, ${risk})`;
}

const link = (id, ...children) => el('a', { href: `#/c/${encodeURIComponent(id)}`, dataset: { id } }, ...children);

export function wireBoard(onError) {
  $('board-hours').addEventListener('change', () => renderBoard().catch(onError));
}

export async function renderBoard() {
  const board = await api('GET', `/api/board?hours=${encodeURIComponent($('board-hours').value)}`);
  const rules = board.settings;
  const range = board.range;
  const who = Object.entries(range.by_operator).map(([name, count]) => `${name}: ${count}`).join(', ');
  $('board-range').textContent = `${range.closed} cuộc trò chuyện đã kết thúc${who ? ` (${who})` : ''}; `
    + (range.first_response_median_seconds !== null
      ? `thời gian đến câu trả lời đầu tiên (trung vị): ${duration(range.first_response_median_seconds)}.`
      : 'chưa có câu trả lời đầu tiên nào để tính.');
  fill($('board-problems'), board.problems.map((problem) => el('li', { class: `problem problem-${problem.kind}`, dataset: { kind: problem.kind } },
    link(problem.conversation_id, problemText(problem, rules)))));
  $('board-no-problems').hidden = board.problems.length > 0;
  fill($('board-operators'), board.operators.map((operator) => el('li', { dataset: { operator: operator.username } },
    el('strong', { text: `${operator.username}${operator.alias ? ` (${operator.alias})` : ''}` }),
    ` — ${STATUS[operator.status] || operator.status}${operator.status_since ? ` từ ${time(operator.status_since)}` : ''}${operator.online ? '' : ' · không mở bảng điều khiển'}`,
    ...operator.held.map((item) => el('span', { class: 'held' }, link(item.id,
      `${RISK[item.risk] || item.risk} · nhận lúc ${time(item.claimed_at)}`,
      item.waiting_for_reply_seconds !== null ? ` · người nhắn chờ trả lời ${duration(item.waiting_for_reply_seconds)}` : ' · đã trả lời',
      item.first_response_seconds !== null ? ` · trả lời đầu tiên sau ${duration(item.first_response_seconds)}` : ' · chưa trả lời lần nào',
      item.unread ? ` · ${item.unread} tin chưa đọc` : ''))))));
  renderTeams(board.teams, rules);
  $('board-rules').textContent = `Nguy cơ cao chờ quá ${rules.high_risk_minutes} phút, người nhắn chờ trả lời quá ${rules.unanswered_minutes} phút, hoặc người giữ đang nghỉ/hết ca đều hiện ở trên.`;
}

function teamLine(team) {
  const duty = team.members.filter((member) => member.on_duty).map((member) => member.username);
  const waiting = team.waiting || team.open_to_all
    ? `${team.waiting} cuộc chờ riêng nhóm${team.open_to_all ? `, ${team.open_to_all} đã mở cho mọi nhóm` : ''}`
    : 'không có cuộc nào đang chờ';
  return el('li', { class: team.on_duty ? 'team' : 'team nobody', dataset: { team: team.id } },
    el('strong', { text: `${team.name} (${team.id})` }),
    ` — ${team.on_duty}/${team.members.length} người đang trực${duty.length ? `: ${duty.join(', ')}` : ''} · ${waiting}`,
    team.on_duty ? null : el('span', { class: 'held', text: 'Không ai trong nhóm đang trực: cuộc trò chuyện của nhóm mở ngay cho mọi nhóm.' }));
}

function renderTeams(teams, rules) {
  fill($('board-teams'), teams.map(teamLine));
  $('board-no-teams').hidden = teams.length > 0;
  $('board-teams-rule').textContent = teams.length
    ? `Cuộc trò chuyện nguy cơ cao chưa ai nhận sau ${rules.team_spill_minutes} phút sẽ mở cho mọi nhóm.`
    : '';
}
