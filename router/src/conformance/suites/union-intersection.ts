// union-intersection: the Media union is Book | Song in a and Book | Movie in b.
interface Media {
  __typename: string;
  id: string;
  title: string;
}

const song = { __typename: 'Song', id: 's2', title: 'Song Title', aTitle: 'A: Song Title' };
const movie = { __typename: 'Movie', id: 'm3', title: 'A Movie Title', bTitle: 'B Movie Title' };

export default ({ media }: { media: Media }) => {
  const only =
    <T extends { id: string }>(record: T) =>
    ({ id }: { id: string }) =>
      id === record.id ? record : null;
  const answer = () => media;
  return {
    a: {
      Query: { media: answer, aMedia: answer, book: answer, song: () => song, viewer: () => ({ media, aMedia: media, book: media, song }) },
      Book: { __resolveReference: only(media) },
      Song: { __resolveReference: only(song) },
    },
    b: {
      Query: { media: answer, bMedia: answer, book: answer, viewer: () => ({ media, bMedia: movie, book: media }) },
      Book: { __resolveReference: only(media) },
      Movie: { __resolveReference: only(movie) },
    },
  };
};
