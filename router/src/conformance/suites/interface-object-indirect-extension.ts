// interface-object-indirect-extension: Media is an interface in a, an @interfaceObject in c;
// b adds authorName to Video. Values are derived from ids, as the suite's records are.
export default () => {
  const video = (id: string) => ({ id, title: `title for ${id}`, duration: 100 * Number(id) });
  return {
    a: {
      Query: { media: () => video('1') },
      Media: { __resolveType: () => 'Video' },
      Video: { __resolveReference: ({ id }: { id: string }) => video(id) },
      Article: { __resolveReference: ({ id }: { id: string }) => ({ id, title: `title for ${id}`, wordCount: 900 * Number(id) }) },
    },
    b: {
      Query: { author: () => ({ id: '1', name: 'name for 1' }) },
      Author: { __resolveReference: ({ id }: { id: string }) => ({ id, name: `name for ${id}` }) },
      Video: { authorName: () => 'John Doe' },
    },
    c: {
      Query: { playlist: () => ({ id: '1', name: 'name for 1', media: { id: '1' } }) },
      Playlist: { __resolveReference: ({ id }: { id: string }) => ({ id, name: `name for ${id}`, media: { id } }) },
      Media: { __resolveReference: ({ id }: { id: string }) => ({ id }) },
    },
  };
};
