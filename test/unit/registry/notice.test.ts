import { describe, expect, it } from 'vitest';
import { encodeNoticeObjects, parseRegistryNotice } from '../../../src/registry/notice.js';

describe('registry notice', () => {
  it('parses the wire form', () => {
    expect(
      parseRegistryNotice('{"version": 7, "objects": [{"project": "p", "object_type": "deployment", "object_name": "d"}]}'),
    ).toEqual({ version: 7, objects: [{ project: 'p', object_type: 'deployment', object_name: 'd' }] });
    expect(parseRegistryNotice('{"version":1,"objects":[]}')).toEqual({ version: 1, objects: [] });
  });

  it('returns null for anything else', () => {
    for (const bad of [
      'not json',
      'null',
      '[]',
      '{"objects":[]}',
      '{"version":"1","objects":[]}',
      '{"version":1.5,"objects":[]}',
      '{"version":1}',
      '{"version":1,"objects":[null]}',
      '{"version":1,"objects":[{"project":"p","object_type":"deployment"}]}',
      '{"version":1,"objects":[{"project":1,"object_type":"deployment","object_name":"d"}]}',
    ]) {
      expect(parseRegistryNotice(bad), bad).toBeNull();
    }
  });

  it('encodes objects once each, in order, with only the three fields', () => {
    const a = { project: 'p', object_type: 'deployment', object_name: 'a' };
    const b = { project: 'p', object_type: 'pipeline', object_name: 'a' };
    expect(encodeNoticeObjects([a, { ...a, extra: 1 } as typeof a, b])).toBe(JSON.stringify([a, b]));
  });
});
