import { divisionById, type DivisionDirectory } from '../domain/division-directory';

/**
 * Every refusal the submit path words, in one place: a division that hands in its return by
 * mail, on its page, from the command line or through the reform office reads the same
 * sentence for the same reason.
 */

/** Who answers a division's questions about the cycle, as the division reads it. */
export function reformOfficeContact(directory: DivisionDirectory): string {
  const office = divisionById(directory, directory.reformOffice);
  return `${office.name}（${office.contact}）`;
}

export function closedRefusal(division: string, office: string): string {
  return `照会は締め切られているため、${division}の回答は受け付けられません。事情がある場合は${office}に連絡してください。`;
}

/** A division's page once its cycle no longer takes returns: the division is already named on it. */
export const CLOSED_PAGE_TITLE = '照会は締め切られました';
export function closedPageRefusal(office: string): string {
  return `この照会の回答の受付は終わりました。事情がある場合は${office}に連絡してください。`;
}

export function notInCycleRefusal(division: string, year: string): string {
  return `${division}は${year}の照会の対象ではありません。`;
}

export function nothingToAnswerRefusal(division: string): string {
  return `${division}には回答する項目がありません（主担当の課が回答します）。`;
}

export function noAttachmentRefusal(division: string): string {
  return `${division}からのメールに様式（Excelファイル）が添付されていませんでした。入力した様式を添付して、もう一度返信してください。`;
}

export function severalAttachmentsRefusal(division: string, fileNames: string[]): string[] {
  return [
    `${division}からのメールにファイルが${fileNames.length}個添付されていました（${fileNames.join('、')}）。どれが回答か決められないため、受け付けていません。`,
    '入力した様式1つだけを添付して、もう一度返信してください。',
  ];
}

/** `sheet` says which sheet the channel's user holds, `button` the button as the form labels it. */
export function noFileChosenRefusal(sheet: string, button: string): string {
  return `ファイルが選ばれていません。${sheet}を選んでから「${button}」を押してください。`;
}

export function notAFormRefusal(button: string): string {
  return `ファイルを選んでから「${button}」を押してください。`;
}

export function tooLargeRefusal(limitBytes: number): string {
  return `ファイルが大きすぎます（上限は${limitBytes / 1024 / 1024}MBです）。`;
}

export function malformedUploadRefusal(button: string): string {
  return `送られたデータを読み取れませんでした（送信が途中で切れたか、データの形式が壊れています）。何も受け付けていません。もう一度ファイルを選んでから「${button}」を押してください。`;
}
