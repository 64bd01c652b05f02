import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import MailComposer from 'nodemailer/lib/mail-composer';
import nodemailer from 'nodemailer';
import { planBeforeYear } from '../../domain/cycle';
import { divisionWorkflowId } from '../../domain/workflow-ids';
import { Plan } from '../../domain/plan';
import { fillReturnSheet } from '../../sheets/fill-return-sheet';
import { readSentMail, type SentMail } from '../../stack/sent-mail';
import { type DivisionStatus, divisionStatusQuery } from '../../workflows/definitions';
import { torimatome } from './cli';
import { SEED_PLAN_PATH } from './seed';
import { startTestService, type TestService } from './service';

/** A launched R4 cycle on the real service, for the tests of the ways a return comes in. */
export const seedPlan = Plan.parse(JSON.parse(readFileSync(SEED_PLAN_PATH, 'utf8')));

export interface OpenCycle {
  service: TestService;
  client: Client;
  cli: (...args: string[]) => ReturnType<typeof torimatome>;
  /** The request mail a division got. */
  request: (divisionId: string) => Promise<SentMail>;
  status: (divisionId: string) => Promise<DivisionStatus>;
  stop(): Promise<void>;
}

export const CYCLE_ID = 'cycle-arao-R4';

/** R4 launched with a deadline far ahead, so that no reminder interferes. */
export async function openR4Cycle(env: NodeJS.ProcessEnv = {}): Promise<OpenCycle> {
  const service = await startTestService(planBeforeYear(seedPlan, 'R4'), env);
  const cli = (...args: string[]) => torimatome({ cwd: service.dataDir, dataDir: service.dataDir, actor: '文化企画課 行革担当' }, ...args);
  const launch = await cli('cycle', 'launch', '--year', 'R4', '--deadline', '2049-03-31');
  if (launch.code !== 0) throw new Error(`launch failed: ${launch.stderr}`);
  const client = new Client({ connection: await Connection.connect({ address: service.server.address }), namespace: service.server.namespace });
  return {
    service,
    client,
    cli,
    request: async (divisionId) => {
      const mail = (await readSentMail(service.sentDir)).find((m) => m.subject.startsWith('【依頼】') && m.to[0] === `${divisionId}@city.arao.example`);
      if (!mail) throw new Error(`no request mail to ${divisionId}`);
      return mail;
    },
    status: (divisionId) => client.workflow.getHandle(divisionWorkflowId(CYCLE_ID, divisionId)).query(divisionStatusQuery),
    async stop() {
      await client.connection.close();
      await service.stop();
    },
  };
}

/** The division's sheet filled with the seed's R4 answers, as its staff would in Excel. */
export function filledWithSeed(sheet: Buffer): Promise<Buffer> {
  return fillReturnSheet(sheet, seedPlan.definition, 'R4', (no) => {
    const item = seedPlan.items.find((i) => i.no === no)!;
    return { values: { marks: item.values.marks!.R4!, statusText: item.values.statusText!.R4! } };
  });
}

export interface Reply {
  from: string;
  to: string;
  subject?: string;
  messageId?: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType?: string }>;
  /** Headers besides the usual ones, as an auto-responder or a list adds them. */
  headers?: Record<string, string>;
}

/** The reply as the raw message a mail server would deliver. */
export function composeReply(reply: Reply): Promise<Buffer> {
  return new MailComposer({ from: reply.from, to: reply.to, subject: reply.subject ?? 'Re: 取組状況について', text: 'よろしくお願いします。', messageId: reply.messageId, attachments: reply.attachments, headers: reply.headers }).compile().build();
}

/** Sends a reply over SMTP to the listener; resolves once the listener has answered the message. */
export async function sendReply(port: number, raw: Buffer, envelope: { from: string; to: string }): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope, raw });
  } finally {
    transport.close();
  }
}
