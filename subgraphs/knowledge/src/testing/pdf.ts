import { PDFDocument, StandardFonts } from 'pdf-lib';

export interface PdfPage {
  heading?: string;
  paragraphs: string[];
}

/** A small text PDF made in the test (never downloaded): an optional large heading, then paragraphs, per page. */
export async function makePdf(pages: PdfPage[], options: { title?: string } = {}): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  if (options.title) pdf.setTitle(options.title);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  for (const content of pages) {
    const page = pdf.addPage([595, 842]);
    let y = 780;
    if (content.heading) {
      page.drawText(content.heading, { x: 50, y, size: 20, font: bold });
      y -= 36;
    }
    for (const paragraph of content.paragraphs) {
      // Wrap at about 85 characters a line, 14 points apart; paragraphs 24 points apart.
      const lines = paragraph.match(/.{1,85}(\s|$)/g)?.map((line) => line.trim()) ?? [];
      for (const line of lines) {
        page.drawText(line, { x: 50, y, size: 11, font });
        y -= 14;
      }
      y -= 10;
    }
  }
  return pdf.save();
}
