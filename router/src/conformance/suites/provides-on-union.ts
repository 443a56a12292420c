// provides-on-union: b's media provides Book titles; c completes Books and Movies.
interface Media {
  __typename: string;
  id: string;
  title: string;
}

export default ({ medias }: { medias: Media[] }) => {
  const entity = ({ id }: { id: string }) => {
    const found = medias.find((m) => m.id === id);
    return found ? { ...found } : null;
  };
  return {
    a: { Query: { media: () => medias.map(({ __typename, id }) => ({ __typename, id })) } },
    b: { Query: { media: () => medias.map((m) => (m.__typename === 'Book' ? { ...m } : { __typename: m.__typename, id: m.id })) } },
    c: { Book: { __resolveReference: entity }, Movie: { __resolveReference: entity } },
  };
};
