import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findReturnRecord, latestReturnRecord, type ReturnRecord } from '../store/return-record';
import { type CycleSnapshot, loadSnapshot } from '../store/snapshot';
import { blankValue } from '../domain/collection-definition';
import { divisionById } from '../domain/division-directory';
import { type AnswerColumn, answerText, columnHeader, yearColumns } from '../master/plan-table';
import { owesReturn } from '../domain/division-state';
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { japaneseDateTime } from '../domain/japanese-date';
import { UserError } from '../store/master-files';
import { closeCycle, closeNotice, consolidatedTable, cycleStatus, deadlineInput, excuseDivision, extendDeadline, mailTrouble, PHASE_NAMES, remindNow, sendBack, STATE_NAMES } from '../service/cycle-actions';
import { type OutboxEntry, outboxEntries } from '../store/outbox';
import { malformedUploadRefusal, noFileChosenRefusal, notAFormRefusal, tooLargeRefusal } from '../service/refusals';
import { CHANNEL_NAMES, describeOutcome, submitReturn } from '../service/submit-return';
import type { AttemptRecord, CycleStatus, DivisionStatus } from '../workflows/definitions';
import { type CycleEntry, chooseCycle, deadlineInForce, escalated, listCycles, type Progress, PROGRESS_NAMES, PROGRESS_ORDER, progressOf } from './cycle-progress';
import { divisionTimeline, logText, ownStatus } from './division-timeline';
import { type Html, html } from './html';
import { page } from './layout';
import { CSRF_FIELD, MULTIPART_FORM, type OfficeAuth, type OfficeContext, refuse, refuseForm, registerOfficeAuth, textField } from './office-auth';
import { type Session, sameToken } from './office-sessions';
import { escalationRungs } from './workflow-history';
import { MALFORMED, readFilePart, readMultipart, type Upload, UPLOAD_LIMIT_BYTES } from './server';
import { openStore } from '../store/open-store';

/**
 * The reform office's pages under /office, behind its login: a cycle's progress, each
 * division's timeline, and the actions of `torimatome cycle`, taken through the same functions
 * (service/cycle-actions.ts) and so through the workflows, with the logged-in user as actor.
 * Every action is a POST answered with a redirect and a notice shown once.
 */

interface CycleView {
  id: string;
  status: CycleStatus;
  snapshot: CycleSnapshot;
  entries: OutboxEntry[];
  /** Each division's latest checked attempt, which the cycle's status may not know of yet. */
  latest: Map<string, ReturnRecord | undefined>;
  progress: Map<string, Progress | undefined>;
  /** False when Temporal no longer keeps the cycle's history, so its ladder is unknown. */
  ladderKnown: boolean;
}

const yearLabel = (year: string) => fiscalYearLabel(parseFiscalYear(year));
const divisionPath = (cycleId: string, divisionId: string) => `/office/divisions/${encodeURIComponent(divisionId)}?cycle=${encodeURIComponent(cycleId)}`;
const cyclePath = (cycleId: string) => `/office?cycle=${encodeURIComponent(cycleId)}`;


const TABLE_TYPES = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
} as const;

function swatch(progress: Progress | undefined): Html {
  return progress ? html`<span class="swatch s-${progress}"></span>${PROGRESS_NAMES[progress]}` : html`<span class="muted">対象外</span>`;
}

/** The bar as an inline SVG: rect widths are attributes, which the style-src policy allows, unlike style="width". */
function progressBar(counts: ReadonlyMap<Progress, number>): Html {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  let x = 0;
  const rects = PROGRESS_ORDER.filter((p) => counts.get(p)).map((p) => {
    const n = counts.get(p)!;
    const rect = html`<rect class="s-${p}" x="${x}" y="0" width="${n}" height="1"><title>${PROGRESS_NAMES[p]} ${n}課</title></rect>`;
    x += n;
    return rect;
  });
  const summary = PROGRESS_ORDER.map((p) => `${PROGRESS_NAMES[p]} ${counts.get(p) ?? 0}課`).join('、');
  return html`<svg class="progress-bar" viewBox="0 0 ${Math.max(total, 1)} 1" preserveAspectRatio="none" width="100%" height="20" role="img" aria-label="${summary}">${rects}</svg>`;
}

function answersTable(record: ReturnRecord | undefined, snapshot: CycleSnapshot, nos: readonly number[], commentable: boolean): Html {
  const item = (no: number) => snapshot.plan.items.find((i) => i.no === no);
  const answer = (no: number) => record?.answers.find((a) => a.no === no);
  const columns = yearColumns(snapshot.plan.definition, snapshot.year);
  const value = (no: number, column: AnswerColumn) => {
    const values = answer(no)?.values;
    return values ? answerText(column, values[column.field.id] ?? blankValue(column.field)) : '';
  };
  return html`<div class="scroll"><table class="answers">
<thead><tr><th>整理番号</th><th>具体的な取組</th>${columns.map((column) => html`<th>${columnHeader(column)}</th>`)}<th>説明</th>${commentable && html`<th>差戻しのコメント</th>`}</tr></thead>
<tbody>${nos.map(
    (no) => html`<tr><td>${no}</td><td class="initiative">${item(no)?.initiative}</td>${columns.map((column) => html`<td${column.field.kind === 'text' ? html` class="status-text"` : ''}>${value(no, column)}</td>`)}<td>${record?.explanations[String(no)]}</td>${
      commentable && html`<td><label class="visually-hidden" for="comment-${no}">整理番号${no}へのコメント</label><textarea id="comment-${no}" name="comment-${no}" rows="2" maxlength="1000"></textarea></td>`
    }</tr>`,
  )}</tbody>
</table></div>`;
}

function lastReturn(record: ReturnRecord, view: CycleView, division: DivisionStatus, showAnswers: boolean): Html {
  const { submission } = record;
  const open = record.warnings.filter((w) => !record.explanations[String(w.no)]?.trim());
  return html`<h2>最後の提出（${record.attempt}回目）</h2>
<dl class="facts">
<dt>確認日時</dt><dd>${japaneseDateTime(record.checkedAt)}</dd>
<dt>提出した人</dt><dd>${submission.submittedBy}</dd>
<dt>ファイル</dt><dd>${submission.fileName}</dd>
<dt>経路</dt><dd>${CHANNEL_NAMES[submission.channel]}</dd>
</dl>
${record.problems.length > 0 && html`<div class="notice bad"><strong>不備（${record.problems.length}件）</strong><ul>${record.problems.map((p) => html`<li>${p.message}</li>`)}</ul></div>`}
${record.warnings.length > 0 && html`<div class="notice warn"><strong>確認事項（${record.warnings.length}件、説明なし ${open.length}件）</strong><ul>${record.warnings.map((w) => html`<li>${w.message}${record.explanations[String(w.no)] && html`<br><span class="muted">説明: ${record.explanations[String(w.no)]}</span>`}</li>`)}</ul></div>`}
${showAnswers && (record.answers.length > 0 ? answersTable(record, view.snapshot, record.answers.map((a) => a.no), false) : html`<p class="muted">不備のため、回答の内容は読み取っていません。</p>`)}
${division.attempt !== undefined && division.attempt !== record.attempt && html`<p class="muted">取りまとめには${division.attempt}回目の提出（受付済み）が使われます。</p>`}`;
}

export async function registerOfficePages(app: FastifyInstance, ctx: OfficeContext): Promise<void> {
  const auth: OfficeAuth = registerOfficeAuth(app, ctx);
  const now = ctx.now ?? Date.now;
  // A cycle's ladder never changes after its launch: its history is read once per cycle.
  const ladders = new Map<string, Promise<Set<number> | undefined>>();
  const ladderOf = (id: string) => {
    let ladder = ladders.get(id);
    if (!ladder) {
      ladder = escalationRungs(ctx.client, id);
      ladder.catch(() => ladders.delete(id));
      ladders.set(id, ladder);
    }
    return ladder;
  };

  async function loadCycle(id: string): Promise<CycleView> {
    const [status, snapshot, rungs] = await Promise.all([cycleStatus(ctx.client, ctx.dataDir, id), loadSnapshot(openStore(ctx.dataDir), id), ladderOf(id)]);
    const entries = await outboxEntries(openStore(ctx.dataDir), id);
    const latest = new Map(await Promise.all(status.divisions.map(async (d) => [d.divisionId, await latestReturnRecord(openStore(ctx.dataDir), id, d.divisionId)] as const)));
    const at = now();
    const progress = new Map(
      status.divisions.map((d) => {
        const escalation = !!rungs && escalated(entries, rungs, d.divisionId, deadlineInForce(status, d));
        return [d.divisionId, progressOf(status, d, { escalated: escalation, latest: latest.get(d.divisionId), now: at })];
      }),
    );
    return { id, status, snapshot, entries, latest, progress, ladderKnown: rungs !== undefined };
  }

  const nameOf = (view: CycleView, divisionId: string) => divisionById(view.snapshot.directory, divisionId).name;

  /** The division's last event: the last entry of its log, or a refused attempt after it, which the cycle's copy of the log lacks. */
  function lastEvent(view: CycleView, division: DivisionStatus): AttemptRecord | undefined {
    const latest = view.latest.get(division.divisionId);
    const refused: AttemptRecord[] = latest && !latest.ok ? [{ attempt: latest.attempt, result: 'refused', at: latest.checkedAt, by: latest.submission.submittedBy }] : [];
    return [...(division.log ?? []), ...refused].reduce<AttemptRecord | undefined>((last, e) => (!last || Date.parse(e.at) >= Date.parse(last.at) ? e : last), undefined);
  }

  function officePage(session: Session, title: string, body: Html): string {
    const flash = session.flash;
    session.flash = undefined;
    return page(
      title,
      html`<nav class="office-nav"><a href="/office">行革担当課のページ</a><span class="muted">${session.user} でログイン中</span><form method="post" action="/office/logout">${auth.csrfField(session)}<button type="submit" class="secondary">ログアウト</button></form></nav>
${flash && html`<div class="notice ${flash.kind}" role="status" id="flash">${flash.text}</div>`}
${body}`,
    );
  }

  const sendPage = (reply: FastifyReply, document: string) => reply.type('text/html; charset=utf-8').send(document);

  function cycleList(cycles: readonly CycleEntry[], current: string | undefined): Html {
    return html`<ul class="cycles">${cycles.map((c) => html`<li>${c.id === current ? html`<strong>${c.id}</strong>` : html`<a href="${cyclePath(c.id)}">${c.id}</a>`}${c.closed ? '（締切済み）' : '（受付中）'}</li>`)}</ul>`;
  }

  async function progressPage(session: Session, view: CycleView, cycles: readonly CycleEntry[]): Promise<string> {
    const { status, snapshot, id } = view;
    const counts = new Map<Progress, number>();
    for (const p of view.progress.values()) if (p) counts.set(p, (counts.get(p) ?? 0) + 1);
    const order = new Map(snapshot.directory.divisions.map((d, i) => [d.id, i]));
    const divisions = [...status.divisions].sort((a, b) => (order.get(a.divisionId) ?? 0) - (order.get(b.divisionId) ?? 0));
    const trouble = await mailTrouble(ctx.dataDir, id, now());
    const csrf = auth.csrfField(session);
    const open = status.phase === 'open';
    const body = html`<h1>${yearLabel(status.year)} ${snapshot.plan.title}の取組状況の照会</h1>
${trouble.length > 0 && html`<div class="notice bad">メール${trouble.length}通が送れていません（最後のエラー: ${trouble[trouble.length - 1]!.error}）。SMTP サーバを確認してください。送れるようになれば自動で送ります。</div>`}
<dl class="facts">
<dt>照会</dt><dd>${id}（${PHASE_NAMES[status.phase]}）</dd>
<dt>提出期限</dt><dd>${japaneseDateTime(status.deadline)}</dd>
<dt>開始</dt><dd>${status.launchedBy}</dd>
${status.result && html`<dt>締切</dt><dd>${japaneseDateTime(status.result.closedAt)}（${status.result.closedBy}）</dd>`}
</dl>
<h2>進捗</h2>
${progressBar(counts)}
<ul class="counts legend" id="counts">${PROGRESS_ORDER.map((p) => html`<li data-progress="${p}">${swatch(p)} ${counts.get(p) ?? 0}課</li>`)}</ul>
${!view.ladderKnown && html`<p class="muted">この照会の督促の設定は Temporal に残っていないため、上長報告済みの課は期限超過に含めています。</p>`}
<div class="scroll"><table class="divisions">
<thead><tr><th>課</th><th>区分</th><th>状態</th><th>提出回数</th><th>提出期限</th><th>最後の出来事</th></tr></thead>
<tbody>${divisions.map((d) => {
      const last = lastEvent(view, d);
      const attempts = Math.max(d.attempts, view.latest.get(d.divisionId)?.attempt ?? 0);
      return html`<tr id="division-${d.divisionId}"><td><a href="${divisionPath(id, d.divisionId)}">${nameOf(view, d.divisionId)}</a></td><td class="nowrap">${swatch(view.progress.get(d.divisionId))}</td><td class="nowrap">${STATE_NAMES[d.state]}</td><td>${attempts}</td><td>${japaneseDateTime(deadlineInForce(status, d))}</td><td>${last ? html`${logText(last)}<br><span class="muted">${japaneseDateTime(last.at)}、${last.by}</span>` : '-'}</td></tr>`;
    })}</tbody>
</table></div>
${open &&
    html`<h2>照会全体の操作</h2>
<form method="post" action="/office/cycles/${id}/remind">${csrf}<button type="submit" class="secondary">回答待ちのすべての課に今すぐ督促する</button></form>
<form method="post" action="/office/cycles/${id}/extend">${csrf}<label for="deadline-all">すべての課の提出期限</label> <input type="date" id="deadline-all" name="deadline" required> <button type="submit" class="secondary">に変更する</button></form>
<form method="post" action="/office/cycles/${id}/close" class="danger">${csrf}
<p>締め切ると、これ以降の回答は受け付けず、取りまとめ表を作って計画マスタを更新し、各課に送ります。取り消せません。</p>
<p><label for="confirm">確認のため、年度「${status.year}」を入力してください</label><br><input type="text" id="confirm" name="confirm" autocomplete="off" required></p>
<button type="submit">${status.year}の照会を締め切る</button></form>`}
${status.result &&
    html`<h2>取りまとめ表</h2>
<p>回答 ${status.result.returned} 課、未提出 ${status.result.notReturned.length} 課。</p>
<p><a class="button" href="/office/cycles/${id}/table.xlsx" download>Excel（.xlsx）</a> <a class="button secondary" href="/office/cycles/${id}/table.csv" download>CSV</a></p>`}
<h2>照会の一覧</h2>
${cycleList(cycles, id)}`;
    return officePage(session, `${yearLabel(status.year)}の照会`, body);
  }

  async function timelinePage(session: Session, view: CycleView, fromCycle: DivisionStatus): Promise<string> {
    const { status, snapshot, id } = view;
    const name = nameOf(view, fromCycle.divisionId);
    const { division, own } = await ownStatus(ctx.client, id, fromCycle);
    const { events, historyKept } = await divisionTimeline(ctx.client, ctx.dataDir, id, division, view.entries);
    const last = view.latest.get(division.divisionId);
    const open = status.phase === 'open';
    const owes = owesReturn(division.state);
    const canSendBack = open && division.attempt !== undefined;
    const accepted = canSendBack ? (division.attempt === last?.attempt ? last : await findReturnRecord(openStore(ctx.dataDir), id, division.divisionId, division.attempt!)) : undefined;
    const answers = snapshot.assignments.find((a) => a.divisionId === division.divisionId)?.answers ?? [];
    const csrf = auth.csrfField(session);
    const action = (verb: string) => `/office/cycles/${id}/divisions/${division.divisionId}/${verb}`;
    const deadline = deadlineInForce(status, division);
    const body = html`<p><a href="${cyclePath(id)}">← ${yearLabel(status.year)}の照会の進捗へ</a></p>
<h1>${name}<br><span class="muted">${yearLabel(status.year)} ${snapshot.plan.title}の取組状況</span></h1>
<dl class="facts">
<dt>区分</dt><dd id="progress">${swatch(view.progress.get(division.divisionId))}</dd>
<dt>状態</dt><dd id="state">${STATE_NAMES[division.state]}</dd>
<dt>提出回数</dt><dd>${division.attempts}回</dd>
<dt>提出期限</dt><dd id="deadline">${japaneseDateTime(deadline)}${division.deadline && html`（当初 ${japaneseDateTime(status.deadline)}）`}</dd>
${division.returnedAt && html`<dt>受付日時</dt><dd>${japaneseDateTime(division.returnedAt)}</dd>`}
<dt>回答する項目</dt><dd>${answers.length ? answers.map((no) => `整理番号${no}`).join('、') : 'なし（通知のみ）'}</dd>
</dl>
<h2>経過</h2>
${!(own && historyKept) && html`<p class="muted">この課のワークフローは Temporal に残っていないため、不備で受け付けなかった提出、期限の変更と督促の指示は載っていないことがあります。</p>`}
<div class="scroll"><table class="timeline" id="timeline">
<thead><tr><th>日時</th><th>出来事</th><th>操作した人</th><th>詳細</th></tr></thead>
<tbody>${events.map((e) => html`<tr><td>${japaneseDateTime(e.at)}</td><td>${e.what}</td><td>${e.by ?? '-'}</td><td>${e.detail}</td></tr>`)}</tbody>
</table></div>
${last && lastReturn(last, view, division, !(canSendBack && accepted === last))}
${canSendBack &&
    html`<h2>差戻し</h2>
<form method="post" action="${action('send-back')}">${csrf}
<p>受け付けた回答（${division.attempt!}回目）を差し戻します。直してほしい項目にコメントを書いてください。コメントと前回の回答入りの様式がメールで送られます。</p>
${answersTable(accepted, snapshot, answers, true)}
<button type="submit">差し戻す</button></form>`}
${open &&
    html`<h2>操作</h2>
${owes && html`<form method="post" action="${action('remind')}">${csrf}<button type="submit" class="secondary">今すぐ督促する</button></form>`}
${division.role === 'answer' && html`<form method="post" action="${action('extend')}">${csrf}<label for="deadline-new">提出期限</label> <input type="date" id="deadline-new" name="deadline" required> <button type="submit" class="secondary">に変更する</button></form>`}
${division.role === 'answer' &&
  html`<form method="post" action="${action('submit')}" enctype="multipart/form-data">${csrf}<p><label for="file">課に代わって提出する様式（課から届いた .xlsx）</label><br><input type="file" id="file" name="file" accept=".xlsx" required></p><button type="submit" class="secondary">代理で提出する</button></form>`}
${owes && html`<form method="post" action="${action('excuse')}">${csrf}<p><label for="reason">提出を免除する理由（取りまとめ表の備考に載ります）</label><br><input type="text" id="reason" name="reason" maxlength="200" required></p><button type="submit" class="secondary">提出を免除する</button></form>`}`}`;
    return officePage(session, `${name}（${yearLabel(status.year)}）`, body);
  }

  /** The cycle a URL names, if this data directory keeps it. */
  async function knownCycle(id: string | undefined): Promise<{ cycles: CycleEntry[]; cycle?: CycleEntry }> {
    const cycles = await listCycles(openStore(ctx.dataDir));
    return { cycles, cycle: chooseCycle(cycles, id) };
  }

  const notFound = (reply: FastifyReply) => refuse(reply, 404, 'この照会または課はありません。進捗のページから開き直してください。');

  /** A page that could not be read from Temporal (no worker, say) is told in words, not as a crash. */
  async function readPage(reply: FastifyReply, render: () => Promise<string | FastifyReply>): Promise<FastifyReply> {
    try {
      const document = await render();
      return typeof document === 'string' ? sendPage(reply, document) : document;
    } catch (err) {
      if (err instanceof UserError) return refuse(reply, 503, err.message);
      throw err;
    }
  }

  app.get('/office', async (req, reply) => {
    const session = auth.sessionOf(req);
    const asked = (req.query as { cycle?: string }).cycle;
    const { cycles, cycle } = await knownCycle(asked);
    if (!cycle) {
      if (asked) return notFound(reply);
      const body = cycles.length
        ? html`<h1>照会を選んでください</h1><p>受付中の照会が複数あります。</p>${cycleList(cycles, undefined)}`
        : html`<h1>照会はまだありません</h1><p>サーバで <code>torimatome cycle launch --year 年度 --deadline 提出期限</code> を実行すると始まります。</p>`;
      return sendPage(reply, officePage(session, '照会', body));
    }
    return readPage(reply, async () => progressPage(session, await loadCycle(cycle.id), cycles));
  });

  app.get('/office/divisions/:divisionId', async (req, reply) => {
    const session = auth.sessionOf(req);
    const { cycle } = await knownCycle((req.query as { cycle?: string }).cycle);
    if (!cycle) return notFound(reply);
    return readPage(reply, async () => {
      const view = await loadCycle(cycle.id);
      const division = view.status.divisions.find((d) => d.divisionId === (req.params as { divisionId: string }).divisionId);
      return division ? timelinePage(session, view, division) : notFound(reply);
    });
  });

  for (const format of ['xlsx', 'csv'] as const) {
    app.get(`/office/cycles/:cycleId/table.${format}`, async (req, reply) => {
      const { cycleId } = req.params as { cycleId: string };
      if (!(await knownCycle(cycleId)).cycle) return notFound(reply);
      try {
        const data = await consolidatedTable(ctx.dataDir, cycleId, format);
        return reply.type(TABLE_TYPES[format]).header('content-disposition', `attachment; filename="${cycleId}-consolidated.${format}"`).send(data);
      } catch (err) {
        if (err instanceof UserError) return refuse(reply, 409, err.message);
        throw err;
      }
    });
  }

  /** Runs an action as the logged-in user and redirects back with what it answered, or its refusal. */
  async function act(req: FastifyRequest, reply: FastifyReply, back: string, run: (actor: string) => Promise<string>): Promise<FastifyReply> {
    const session = auth.sessionOf(req);
    const actor = `office:${session.user}`;
    try {
      session.flash = { kind: 'ok', text: await run(actor) };
      ctx.log(`office: ${actor}: ${req.method} ${req.url}`);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      session.flash = { kind: 'bad', text: err.message };
    }
    return reply.redirect(back, 303);
  }

  const newDeadline = (req: FastifyRequest) => deadlineInput(textField(req, 'deadline'), '新しい提出期限');

  function comments(req: FastifyRequest): Record<string, string> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const given = Object.entries(body).flatMap(([key, value]) => {
      const no = /^comment-(\d+)$/.exec(key)?.[1];
      return no && typeof value === 'string' && value.trim() ? [[no, value.trim()] as const] : [];
    });
    if (given.length === 0) throw new UserError('差し戻すには、直してほしい項目にコメントを一つ以上書いてください。');
    return Object.fromEntries(given);
  }

  type CycleAction = (req: FastifyRequest, cycleId: string, actor: string) => Promise<string>;
  const CYCLE_ACTIONS: Record<string, CycleAction> = {
    remind: (_req, id, actor) => remindNow(ctx.client, ctx.dataDir, id, { actor }),
    extend: async (req, id, actor) => extendDeadline(ctx.client, ctx.dataDir, id, { deadline: newDeadline(req), actor }),
    close: async (req, id, actor) => {
      const { year } = await loadSnapshot(openStore(ctx.dataDir), id);
      if (textField(req, 'confirm').trim() !== year) throw new UserError(`締め切るには、確認の欄に年度「${year}」を入力してください。締め切っていません。`);
      const { counts, followUp } = closeNotice(await closeCycle(ctx.client, id, actor));
      return `${counts}${followUp}`;
    },
  };

  type DivisionAction = (req: FastifyRequest, cycleId: string, division: string, actor: string) => Promise<string>;
  const DIVISION_ACTIONS: Record<string, DivisionAction> = {
    remind: (_req, id, division, actor) => remindNow(ctx.client, ctx.dataDir, id, { division, actor }),
    extend: async (req, id, division, actor) => extendDeadline(ctx.client, ctx.dataDir, id, { division, deadline: newDeadline(req), actor }),
    excuse: (req, id, division, actor) => excuseDivision(ctx.client, ctx.dataDir, id, { division, reason: textField(req, 'reason'), actor }),
    'send-back': async (req, id, division, actor) => sendBack(ctx.client, ctx.dataDir, id, { division, comments: comments(req), actor }),
  };

  app.post('/office/cycles/:cycleId/:action', async (req, reply) => {
    const { cycleId, action } = req.params as { cycleId: string; action: string };
    const run = Object.hasOwn(CYCLE_ACTIONS, action) ? CYCLE_ACTIONS[action] : undefined;
    if (!run || !(await knownCycle(cycleId)).cycle) return notFound(reply);
    return act(req, reply, cyclePath(cycleId), (actor) => run(req, cycleId, actor));
  });

  /** The snapshot of a cycle this service ran, if it has this division among its own. */
  const snapshotWith = async (cycleId: string, divisionId: string): Promise<CycleSnapshot | undefined> => {
    if ((await knownCycle(cycleId)).cycle === undefined) return undefined;
    const snapshot = await loadSnapshot(openStore(ctx.dataDir), cycleId);
    return snapshot.assignments.some((a) => a.divisionId === divisionId) ? snapshot : undefined;
  };

  // A sheet a division handed to the reform office (on paper, by hand, by another address),
  // handed in on its behalf: the same path as every channel, recorded as the office's.
  app.post(MULTIPART_FORM, async (req, reply) => {
    const { cycleId, divisionId } = req.params as { cycleId: string; divisionId: string };
    const snapshot = await snapshotWith(cycleId, divisionId);
    if (!snapshot) return notFound(reply);
    const session = auth.sessionOf(req);
    const forbidden = () => {
      ctx.log(`office: ${req.method} ${req.url} by ${session.user} refused: CSRF token missing or wrong`);
      return refuseForm(reply);
    };
    if (!req.isMultipart()) return refuse(reply, 400, notAFormRefusal('代理で提出する'));
    const body = await readMultipart(async () => {
      let token: unknown;
      let file: Upload | undefined;
      for await (const part of req.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === CSRF_FIELD) token = part.value;
          continue;
        }
        // The token comes before the file in the form: a file without it is not even read.
        if (!sameToken(token, session.csrf)) return undefined;
        file = await readFilePart(app, part);
      }
      return sameToken(token, session.csrf) ? { file } : undefined;
    });
    if (body === MALFORMED) return refuse(reply, 400, malformedUploadRefusal('代理で提出する'));
    if (!body) return forbidden();
    const { file } = body;
    return act(req, reply, divisionPath(cycleId, divisionId), async (actor) => {
      if (!file || !file.fileName) throw new UserError(noFileChosenRefusal('課から届いた様式', '代理で提出する'));
      if (file.truncated) throw new UserError(tooLargeRefusal(UPLOAD_LIMIT_BYTES));
      const outcome = await submitReturn(ctx.client, ctx.dataDir, { cycleId, divisionId, file, channel: 'office', submittedBy: actor }, { snapshot });
      const { ok, headline, points } = describeOutcome(outcome, '課に説明を確かめ、様式の「説明」列に書いてから、もう一度提出してください:');
      const text = [headline, ...points].join(' ');
      if (!ok) throw new UserError(text);
      return text;
    });
  });

  app.post('/office/cycles/:cycleId/divisions/:divisionId/:action', async (req, reply) => {
    const { cycleId, divisionId, action } = req.params as { cycleId: string; divisionId: string; action: string };
    const run = Object.hasOwn(DIVISION_ACTIONS, action) ? DIVISION_ACTIONS[action] : undefined;
    if (!run || !(await snapshotWith(cycleId, divisionId))) return notFound(reply);
    return act(req, reply, divisionPath(cycleId, divisionId), (actor) => run(req, cycleId, divisionId, actor));
  });
}
