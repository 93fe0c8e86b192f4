import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInside, sanitizeSegment, utf8Length } from '../src/lib/sanitize.js';

describe('sanitizeSegment', () => {
  it('replaces separators and characters Windows refuses with _', () => {
    expect(sanitizeSegment('AC/DC')).toBe('AC_DC');
    expect(sanitizeSegment('..\\..\\windows')).toBe('_.._windows');
    expect(sanitizeSegment('a<b>c:d"e|f?g*h')).toBe('a_b_c_d_e_f_g_h');
  });

  it('removes NUL and control characters, turning line breaks and tabs into spaces', () => {
    expect(sanitizeSegment('ab\u0000c\u0007d\u007fe\u009bf')).toBe('abcdef');
    expect(sanitizeSegment('New\nYork\tCity\r\n')).toBe('New York City');
  });

  it('removes bidi controls and invisible format characters', () => {
    expect(sanitizeSegment('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
    for (const code of [
      0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f,
      0x200b, 0xfeff, 0x00ad, 0x2060, 0x061c, 0xe0041, 0x3164, 0x115f,
    ]) {
      expect(sanitizeSegment(`a${String.fromCodePoint(code)}b`)).toBe('ab');
    }
    expect(sanitizeSegment('\u202E\u2066\u200B')).toBe('');
  });

  it('keeps joiners where they spell something, drops them between ASCII letters', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    const persian = 'می\u200Cخواهم';
    expect(sanitizeSegment(family)).toBe(family);
    expect(sanitizeSegment(persian)).toBe(persian);
    expect(sanitizeSegment('\u2764\uFE0F')).toBe('\u2764\uFE0F');
    expect(sanitizeSegment('pay\u200Dpal')).toBe('paypal');
    expect(sanitizeSegment('a\uFE0F')).toBe('a');
    expect(sanitizeSegment('\u200Dx')).toBe('x');
  });

  it('neutralises . and .. and names made only of dots and spaces', () => {
    for (const raw of ['.', '..', '...', ' . . ', '   ', '', '\u3000.\u00a0']) {
      expect(sanitizeSegment(raw)).toBe('');
    }
    expect(sanitizeSegment('..foo')).toBe('foo');
    expect(sanitizeSegment('.hidden')).toBe('hidden');
    expect(sanitizeSegment('  name.  ')).toBe('name');
    expect(sanitizeSegment('a..b')).toBe('a..b');
  });

  it('makes Windows device names safe in any case and with any extension', () => {
    expect(sanitizeSegment('CON')).toBe('_CON');
    expect(sanitizeSegment('con')).toBe('_con');
    expect(sanitizeSegment('Con.jpg')).toBe('_Con.jpg');
    expect(sanitizeSegment('nul.tar.gz')).toBe('_nul.tar.gz');
    expect(sanitizeSegment('PRN')).toBe('_PRN');
    expect(sanitizeSegment('aux.txt')).toBe('_aux.txt');
    expect(sanitizeSegment('COM1')).toBe('_COM1');
    expect(sanitizeSegment('lpt9.txt')).toBe('_lpt9.txt');
    expect(sanitizeSegment('COM\u00b9')).toBe('_COM\u00b9');
    expect(sanitizeSegment('CON .txt')).toBe('_CON .txt');
    expect(sanitizeSegment('C\u0000ON')).toBe('_CON');
    for (const fine of ['CONSOLE', 'COM10', 'icon.jpg', 'con_x', 'LPT', 'nully.jpg']) {
      expect(sanitizeSegment(fine)).toBe(fine);
    }
  });

  it('normalises to NFC and drops lone surrogates', () => {
    expect(sanitizeSegment('Cafe\u0301')).toBe('Caf\u00e9');
    expect(sanitizeSegment('a\uD800b\uDFFF')).toBe('ab');
  });

  it('cuts to 255 bytes of UTF-8 without splitting a character', () => {
    expect(sanitizeSegment('a'.repeat(300))).toBe('a'.repeat(255));
    expect(sanitizeSegment('\u00e9'.repeat(200))).toBe('\u00e9'.repeat(127));
    expect(sanitizeSegment('\u{1F600}'.repeat(100))).toBe('\u{1F600}'.repeat(63));
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    expect(sanitizeSegment(family.repeat(20))).toBe(family.repeat(14));
    const zalgo = sanitizeSegment(`a${'\u0300'.repeat(500)}`);
    expect(utf8Length(zalgo)).toBeLessThanOrEqual(255);
    expect(zalgo).toBe(zalgo.normalize('NFC'));
    expect(zalgo.startsWith('\u00e0')).toBe(true);
  });

  it('keeps the extension of a file name when cutting, only when asked', () => {
    const long = `${'x'.repeat(300)}.jpeg`;
    expect(sanitizeSegment(long, { keepExtension: true })).toBe(`${'x'.repeat(250)}.jpeg`);
    expect(sanitizeSegment(long)).toBe('x'.repeat(255));
    const spaced = `${'x'.repeat(250)} ${'y'.repeat(50)}.JPG`;
    expect(sanitizeSegment(spaced, { keepExtension: true })).toBe(`${'x'.repeat(250)}.JPG`);
  });

  it('does not let a cut turn a name into a device name', () => {
    const tricky = `CON${' '.repeat(300)}x.jpg`;
    expect(sanitizeSegment(tricky, { keepExtension: true })).toBe('_CON.jpg');
  });

  describe('on a real filesystem', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'photosortd-sanitize-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('gives names that can be created, each as one file directly in the folder', async () => {
      const hostile = [
        '../escape',
        '/etc/passwd',
        '..\\..\\boot.ini',
        'nul\u0000byte',
        'line\nbreak',
        '\u202Egpj.exe',
        'CON.jpg',
        `${'\u00e9'.repeat(300)}.jpg`,
        `${'\u{1F600}'.repeat(80)}.heic`,
      ];
      const names = hostile.map((raw) => sanitizeSegment(raw, { keepExtension: true }));
      for (const [i, name] of names.entries()) {
        await writeFile(path.join(dir, name), `file ${i}`);
      }
      const listed = await readdir(dir);
      expect(listed.sort()).toEqual([...names].sort());
      expect(names).toContain('_CON.jpg');
      expect(names).toContain('_escape');
      expect(names).toContain('_etc_passwd');
    });
  });
});

describe('isInside', () => {
  it('accepts paths strictly below the root', () => {
    expect(isInside('/srv/lib', '/srv/lib/a')).toBe(true);
    expect(isInside('/srv/lib/', '/srv/lib/2024/a.jpg')).toBe(true);
    expect(isInside('/srv/lib', '/srv/lib/..foo')).toBe(true);
    expect(isInside('/', '/a')).toBe(true);
  });

  it('refuses the root itself, escapes through .. and prefix look-alikes', () => {
    expect(isInside('/srv/lib', '/srv/lib')).toBe(false);
    expect(isInside('/srv/lib', '/srv/lib/')).toBe(false);
    expect(isInside('/srv/lib', '/srv/lib/a/..')).toBe(false);
    expect(isInside('/srv/lib', '/srv/library/a')).toBe(false);
    expect(isInside('/srv/lib', '/srv/lib/../etc/passwd')).toBe(false);
    expect(isInside('/srv/lib', '/srv/lib/a/../../lib2/x')).toBe(false);
    expect(isInside('/srv/lib', '/etc')).toBe(false);
  });

  it('resolves relative paths against the working directory', () => {
    expect(isInside('lib', path.join(process.cwd(), 'lib', 'a'))).toBe(true);
    expect(isInside('lib', 'lib/../other')).toBe(false);
  });
});
