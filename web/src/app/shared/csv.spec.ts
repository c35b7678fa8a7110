import { toCsv } from './csv';

describe('toCsv', () => {
  const cols = [
    { header: 'Name', value: (r: { n: string | null; v: number }) => r.n },
    { header: 'Value', value: (r: { n: string | null; v: number }) => r.v },
  ];
  const cases: { name: string; rows: { n: string | null; v: number }[]; want: string }[] = [
    { name: 'header only', rows: [], want: 'Name,Value\r\n' },
    { name: 'plain fields', rows: [{ n: 'MSFT', v: 1.5 }], want: 'Name,Value\r\nMSFT,1.5\r\n' },
    { name: 'comma quoted', rows: [{ n: 'JPMorgan Chase & Co., Inc.', v: 2 }], want: 'Name,Value\r\n"JPMorgan Chase & Co., Inc.",2\r\n' },
    { name: 'quote doubled', rows: [{ n: 'say "hi"', v: 3 }], want: 'Name,Value\r\n"say ""hi""",3\r\n' },
    { name: 'newline quoted', rows: [{ n: 'a\nb', v: 4 }], want: 'Name,Value\r\n"a\nb",4\r\n' },
    { name: 'null empty', rows: [{ n: null, v: 0 }], want: 'Name,Value\r\n,0\r\n' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(toCsv(c.rows, cols)).toBe(c.want));
  }
});
