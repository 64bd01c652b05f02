import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildSheet, sheetItems, sheetName } from '../activities/division-sheet';
import { cycleKeys, latestSheetVersion, readRef } from '../store/file-store';
import { findReturnRecord, type ReturnRecord } from '../store/return-record';
import { type CycleSnapshot, hasSnapshot, loadSnapshot } from '../store/snapshot';
import { divisionWorkflowId } from '../domain/workflow-ids';
import { divisionById } from '../domain/division-directory';
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { japaneseDateTime } from '../domain/japanese-date';
import { readPageToken, type ReturnTarget } from '../inbound/return-tokens';
import { acceptsReturns } from '../service/accepts-returns';
import { CLOSED_PAGE_TITLE, closedPageRefusal, malformedUploadRefusal, noFileChosenRefusal, notAFormRefusal, reformOfficeContact, tooLargeRefusal } from '../service/refusals';
import { describeOutcome, type SubmitOutcome, submitReturn } from '../service/submit-return';
import type { DivisionState } from '../domain/division-state';
import { cyclePhaseQuery, type DivisionStatus, divisionStatusQuery } from '../workflows/definitions';
import { type Html, html } from './html';
import { page } from './layout';
import { MALFORMED, readFilePart, readMultipart, type WebContext, UPLOAD_LIMIT_BYTES } from './server';
import { openStore } from '../store/open-store';

/**
 * A division's own page, `/r/<token>`, linked from every mail it gets: the deadline, where its
 * return stands, what the last attempt got wrong, its sheet to download (with its last answers
 * after a refusal), and a form to upload the filled sheet. Server-rendered, no JavaScript.
 */

/** The state as the division reads it. */
const STATE_TEXTS: Record<DivisionState, string> = {
  preparing: '様式を準備しています',
  waiting: '回答をお待ちしています',
  held: '確認事項への説明をお待ちしています',
  returned: '回答を受け付けました',
  sentBack: '差戻しています（再提出をお願いします）',
  excused: '今回は提出不要です',
  informed: '主担当の課が回答します（回答は不要です）',
  closed: '照会は締め切られました',
};

const EXPLAIN_HERE = '様式の「説明」列に理由を書いて再提出するか、下の欄に理由を書いて送信してください:';

interface DivisionView {
  target: ReturnTarget;
  divisionName: string;
  office: string;
  deadline: string;
  status: DivisionStatus;
  last?: ReturnRecord;
  snapshot: CycleSnapshot;
}

type Params = { token: string };

function send(reply: FastifyReply, code: number, document: string): FastifyReply {
  // The token in the address opens the division's page: nothing of it is cached or indexed.
  return reply.code(code).header('cache-control', 'no-store').header('x-robots-tag', 'noindex').type('text/html; charset=utf-8').send(document);
}

const invalidLink = (reply: FastifyReply) =>
  send(reply, 404, page('リンクが無効です', html`<h1>リンクが無効です</h1><p>このリンクは使えません。届いたメールのリンクをそのまま開いてください。続くときは行革担当課に連絡してください。</p>`));

const closedPage = (reply: FastifyReply, snapshot: CycleSnapshot) =>
  send(reply, 410, page(CLOSED_PAGE_TITLE, html`<h1>${CLOSED_PAGE_TITLE}</h1><p>${closedPageRefusal(reformOfficeContact(snapshot.directory))}</p>`));

/** The division's view while its cycle takes returns; undefined once it takes none. */
async function loadView(ctx: WebContext, target: ReturnTarget, snapshot: CycleSnapshot): Promise<DivisionView | undefined> {
  // Read for its deadline too; a cycle Temporal no longer answers for takes no returns here.
  const cycle = await ctx.client.workflow.getHandle(target.cycleId).query(cyclePhaseQuery).catch(() => undefined);
  if (!cycle || !(await acceptsReturns(ctx.client, ctx.dataDir, target.cycleId, cycle.phase))) return undefined;
  const handle = ctx.client.workflow.getHandle(divisionWorkflowId(target.cycleId, target.divisionId));
  const status = await handle.query(divisionStatusQuery).catch(() => undefined);
  if (!status || status.state === 'closed') return undefined;
  return {
    target,
    divisionName: divisionById(snapshot.directory, target.divisionId).name,
    office: reformOfficeContact(snapshot.directory),
    snapshot,
    deadline: status.deadline ?? cycle.deadline,
    status,
    last: status.attempts > 0 ? await findReturnRecord(openStore(ctx.dataDir), target.cycleId, target.divisionId, status.attempts) : undefined,
  };
}

/** The result of the last attempt, as it stands now (a send-back after it is said by the state). */
function lastAttempt(view: DivisionView): Html | undefined {
  const last = view.last;
  if (!last) return undefined;
  const when = japaneseDateTime(last.checkedAt);
  const entry = view.status.log?.find((l) => l.attempt === last.attempt && l.result !== 'sentBack' && l.result !== 'excused');
  if (entry?.result === 'accepted') return html`<div class="notice ok" id="result"><strong>${last.attempt}回目の提出（${when}）を受け付けました。</strong></div>`;
  if (entry?.result === 'held') {
    return html`<div class="notice warn" id="result"><strong>${last.attempt}回目の提出（${when}）に確認事項があります。</strong>${EXPLAIN_HERE}
<ul>${last.warnings.filter((w) => !last.explanations[String(w.no)]?.trim()).map((w) => html`<li>${w.message}</li>`)}</ul></div>`;
  }
  return html`<div class="notice bad" id="result"><strong>${last.attempt}回目の提出（${when}）は受け付けられませんでした。</strong>次の点を直して、もう一度提出してください:
<ul>${last.problems.map((p) => html`<li>${p.message}</li>`)}</ul></div>`;
}

function explainForm(view: DivisionView, token: string): Html | undefined {
  const last = view.last;
  if (view.status.state !== 'held' || !last) return undefined;
  const open = last.warnings.filter((w) => w.no !== undefined && !last.explanations[String(w.no)]?.trim());
  if (open.length === 0) return undefined;
  return html`<h2>確認事項への説明</h2>
<form method="post" action="/r/${token}/explain">
${open.map((w) => html`<p><label for="explain-${w.no!}">整理番号${w.no!}: ${w.message}</label><br><textarea id="explain-${w.no!}" name="explain-${w.no!}" rows="2" maxlength="500"></textarea></p>`)}
<button type="submit">説明を添えて提出する</button>
</form>`;
}

function divisionPage(view: DivisionView, token: string, outcome?: { ok: boolean; headline: string; points: string[] }): string {
  const { status } = view;
  const owes = status.state === 'waiting' || status.state === 'sentBack' || status.state === 'held' || status.state === 'returned';
  const notice = outcome
    ? html`<div class="notice ${outcome.ok ? 'ok' : 'bad'}" id="result"><strong>${outcome.headline}</strong>${outcome.points.length > 0 ? html`<ul>${outcome.points.map((p) => html`<li>${p}</li>`)}</ul>` : ''}</div>`
    : lastAttempt(view);
  const body = html`<h1>${fiscalYearLabel(parseFiscalYear(view.snapshot.year))} ${view.snapshot.plan.title}の取組状況の回答<br><span class="muted">${view.divisionName}</span></h1>
<dl class="facts">
<dt>提出期限</dt><dd id="deadline">${japaneseDateTime(view.deadline)}</dd>
<dt>状態</dt><dd id="state">${STATE_TEXTS[status.state]}</dd>
<dt>提出回数</dt><dd>${status.attempts}回</dd>
<dt>問合せ先</dt><dd>${view.office}</dd>
</dl>
${notice}
${explainForm(view, token)}
<h2>様式</h2>
<p><a class="button secondary" id="download" href="/r/${token}/sheet">様式をダウンロード（Excel）</a></p>
<p class="muted">黄色のセルに取組状況の記号（○ △ × -）と文を入力し、名前や列は変えずに保存してください。${view.last && !view.last.ok ? '前回の提出で読み取れた回答は入力済みです。' : ''}</p>
${owes
    ? html`<h2>提出</h2>
<form method="post" action="/r/${token}" enctype="multipart/form-data">
<p><label for="file">入力した様式（.xlsx、${UPLOAD_LIMIT_BYTES / 1024 / 1024}MBまで）</label><br><input type="file" id="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required></p>
<button type="submit" id="upload">提出する</button>
</form>
<p class="muted">メールに添付して返信しても提出できます。</p>`
    : ''}`;
  return page(`${view.divisionName}の回答`, body);
}

/** The sheet in its latest version; after a refusal, with the rows that read well filled back in. */
async function currentSheet(ctx: WebContext, view: DivisionView): Promise<{ name: string; data: Buffer }> {
  const { target, snapshot } = view;
  const store = openStore(ctx.dataDir);
  const version = await latestSheetVersion(store, target.cycleId, target.divisionId);
  const name = sheetName(snapshot, target.divisionId);
  const drafts = view.last && !view.last.ok ? view.last.drafts : undefined;
  if (!drafts || drafts.length === 0) {
    const found = await store.get(cycleKeys(target.cycleId).sheet(target.divisionId, version));
    if (!found) throw new Error(`sheet v${version} of ${target.divisionId} is not in the ${store.location}`);
    return { name, data: found.data };
  }
  // Only rows the division answers now; an item moved away since is no longer its to fill.
  const own = new Set(sheetItems(snapshot, target.divisionId).filter((s) => s.role === 'answer').map((s) => s.item.no));
  const answers = Object.fromEntries(drafts.filter((d) => own.has(d.no)).map((d) => [d.no, d.values]));
  return { name, data: await buildSheet(snapshot, target.divisionId, version, view.deadline, answers) };
}

export async function registerDivisionPages(app: FastifyInstance, ctx: WebContext): Promise<void> {
  /** The page's target and view, or the answer already sent for a bad or expired link. */
  const open = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): Promise<DivisionView | undefined> => {
    const target = readPageToken(ctx.tokenKey, req.params.token);
    if (!target || !(await hasSnapshot(openStore(ctx.dataDir), target.cycleId))) {
      await invalidLink(reply);
      return undefined;
    }
    const snapshot = await loadSnapshot(openStore(ctx.dataDir), target.cycleId);
    const view = await loadView(ctx, target, snapshot);
    if (!view) await closedPage(reply, snapshot);
    return view;
  };
  const answer = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply, view: DivisionView, outcome: SubmitOutcome) => {
    if (outcome.kind === 'checked') return reply.code(303).header('location', `/r/${req.params.token}#result`).send();
    if (outcome.reason === 'closed') return closedPage(reply, view.snapshot);
    return send(reply, 400, divisionPage(view, req.params.token, describeOutcome(outcome, EXPLAIN_HERE)));
  };

  app.get<{ Params: Params }>('/r/:token', async (req, reply) => {
    const view = await open(req, reply);
    if (view) return send(reply, 200, divisionPage(view, req.params.token));
  });

  app.get<{ Params: Params }>('/r/:token/sheet', async (req, reply) => {
    const view = await open(req, reply);
    if (!view) return;
    const sheet = await currentSheet(ctx, view);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="sheet.xlsx"; filename*=UTF-8''${encodeURIComponent(sheet.name)}`)
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .send(sheet.data);
  });

  app.post<{ Params: Params }>('/r/:token', async (req, reply) => {
    const view = await open(req, reply);
    if (!view) return;
    const refuse = (code: number, message: string) => send(reply, code, divisionPage(view, req.params.token, { ok: false, headline: message, points: [] }));
    if (!req.isMultipart()) return refuse(400, notAFormRefusal('提出する'));
    const upload = await readMultipart(async () => {
      const part = await req.file();
      return part?.filename ? readFilePart(app, part) : undefined;
    });
    if (upload === MALFORMED) return refuse(400, malformedUploadRefusal('提出する'));
    if (!upload) return refuse(400, noFileChosenRefusal('入力した様式', '提出する'));
    if (upload.truncated) {
      return refuse(413, `${tooLargeRefusal(UPLOAD_LIMIT_BYTES)}お送りした回答様式に入力したファイルは通常1MBに満たない大きさです。`);
    }
    const outcome = await submitReturn(
      ctx.client,
      ctx.dataDir,
      { ...view.target, file: upload, channel: 'upload', submittedBy: `page:${view.target.divisionId} (${req.ip})` },
      { snapshot: view.snapshot, acceptsReturns: true },
    );
    return answer(req, reply, view, outcome);
  });

  app.post<{ Params: Params; Body: Record<string, string> }>('/r/:token/explain', async (req, reply) => {
    const view = await open(req, reply);
    if (!view) return;
    const explanations = Object.fromEntries(
      Object.entries(req.body ?? {}).flatMap(([field, text]) => {
        const m = /^explain-(\d+)$/.exec(field);
        return m && typeof text === 'string' && text.trim() ? [[m[1]!, text.trim().slice(0, 500)]] : [];
      }),
    );
    const last = view.last;
    if (view.status.state !== 'held' || !last || Object.keys(explanations).length === 0) return reply.code(303).header('location', `/r/${req.params.token}`).send();
    // The held file again, with the explanations: nothing needs uploading twice.
    const outcome = await submitReturn(
      ctx.client,
      ctx.dataDir,
      {
        ...view.target,
        file: { data: await readRef(openStore(ctx.dataDir), last.submission.file), fileName: last.submission.fileName },
        channel: 'upload',
        submittedBy: `page:${view.target.divisionId} (${req.ip})`,
        explanations: { ...last.explanations, ...explanations },
      },
      { snapshot: view.snapshot, acceptsReturns: true },
    );
    return answer(req, reply, view, outcome);
  });
}
