import { Fragment } from 'react';

/** Text with `**emphasis**` (search highlights, Markdown bold in replies) shown as marked words; everything else as plain text. */
export function Emphasised({ text, as: Tag = 'mark' }: { text: string; as?: 'mark' | 'strong' }) {
  return (
    <>
      {text.split(/\*\*(.+?)\*\*/g).map((part, i) => (i % 2 === 1 ? <Tag key={i}>{part}</Tag> : <Fragment key={i}>{part}</Fragment>))}
    </>
  );
}
