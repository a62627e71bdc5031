import { InvalidArgumentError } from '@diffeo/core';
import { describe, expect, it } from 'vitest';
import * as browser from './platform.browser.js';
import * as node from './platform.node.js';

describe('@diffeo/io platform split', () => {
  it('the Node side gives Node\'s file system', async () => {
    expect(node.PLATFORM).toBe('node');
    expect(typeof (await node.nodeFs()).readFile).toBe('function');
    expect(typeof (await node.nodePath()).join).toBe('function');
  });

  it('the browser side refuses file paths with a typed error saying to pass bytes', async () => {
    expect(browser.PLATFORM).toBe('browser');
    await expect(browser.nodeFs()).rejects.toThrow(InvalidArgumentError);
    await expect(browser.nodePath()).rejects.toThrow(/pass the file's bytes/);
  });
});
