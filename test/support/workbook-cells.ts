import ExcelJS from 'exceljs';

/**
 * Everything a person sees in a workbook, cell by cell: each sheet's state, merges, column
 * widths, row heights, and each cell's value, style and list of allowed values. Two workbooks
 * with equal dumps look and read the same, however their bytes differ.
 */
export interface WorkbookDump {
  sheets: Array<{
    name: string;
    state: string;
    merges: string[];
    widths: Array<number | undefined>;
    heights: Record<number, number | undefined>;
    cells: Record<string, { value: unknown; style: unknown; validation?: unknown }>;
  }>;
}

export async function dumpWorkbook(data: Buffer): Promise<WorkbookDump> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  return {
    sheets: workbook.worksheets.map((sheet) => {
      const cells: WorkbookDump['sheets'][number]['cells'] = {};
      const heights: Record<number, number | undefined> = {};
      sheet.eachRow({ includeEmpty: true }, (row, n) => {
        heights[n] = row.height;
        row.eachCell({ includeEmpty: true }, (cell) => {
          const validation = cell.dataValidation;
          cells[cell.address] = {
            value: JSON.parse(JSON.stringify(cell.value ?? null)),
            style: JSON.parse(JSON.stringify(cell.style ?? {})),
            ...(validation && Object.keys(validation).length > 0 && { validation: JSON.parse(JSON.stringify(validation)) }),
          };
        });
      });
      const model = sheet.model as unknown as { merges?: string[] };
      return {
        name: sheet.name,
        state: sheet.state,
        merges: [...(model.merges ?? [])].sort(),
        widths: (sheet.columns ?? []).map((column) => column.width),
        heights,
        cells,
      };
    }),
  };
}
