import Database from 'better-sqlite3';
import Keyv from 'keyv';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteKeyvStore } from '../src/lib/sqlite-keyv-store.js';
import { tempDir } from './support/fs.js';

describe('the keyv store on better-sqlite3', () => {
  it('keeps values across opens, per namespace, and clears one namespace only', async () => {
    const file = join(await tempDir('photosortd-keyv-'), 'cache.sqlite');
    const places = new Keyv<{ city: string } | null>({
      store: new SqliteKeyvStore(file),
      namespace: 'geonames-1',
    });
    const other = new Keyv<string>({ store: new SqliteKeyvStore(file), namespace: 'exiftool-1' });
    await places.set('38.722,-9.139', { city: 'Lisbon' });
    await places.set('0.000,0.000', null);
    await other.set('38.722,-9.139', 'Lisboa');
    await places.disconnect();

    const again = new Keyv<{ city: string } | null>({
      store: new SqliteKeyvStore(file),
      namespace: 'geonames-1',
    });
    expect(await again.get('38.722,-9.139')).toEqual({ city: 'Lisbon' });
    expect(await again.get('0.000,0.000')).toBeNull();
    expect(await again.get('1.000,1.000')).toBeUndefined();
    expect(await again.delete('0.000,0.000')).toBe(true);
    await again.clear();
    expect(await again.get('38.722,-9.139')).toBeUndefined();
    expect(await other.get('38.722,-9.139')).toBe('Lisboa');
    await again.disconnect();
    await other.disconnect();
  });

  it('reads a cache that @keyv/sqlite wrote (same table, same serialized values)', async () => {
    const file = join(await tempDir('photosortd-keyv-old-'), 'geocode-cache.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT )');
    // The row exactly as keyv 5 with @keyv/sqlite 4 wrote it (checked before that was dropped).
    db.prepare('INSERT INTO keyv VALUES (?, ?)').run(
      'geonames-1:51.507,-0.128',
      '{"value":{"place":{"city":"London"}}}',
    );
    db.close();
    const keyv = new Keyv({ store: new SqliteKeyvStore(file), namespace: 'geonames-1' });
    expect(await keyv.get('51.507,-0.128')).toEqual({ place: { city: 'London' } });
    await keyv.disconnect();
  });
});
