// The building blocks: wildcard matching, IP ranges, dates, policy variables, the JSON parser.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseDate } from '../../src/policy/date.ts';
import {
  classicMatch,
  compileText,
  dpMatch,
  type GlobMode,
  ONE_ANY,
  ONE_SEG,
  STAR_ANY,
  STAR_SEG,
  type Token,
} from '../../src/policy/glob.ts';
import { cidrContains, parseCidr, parseIp } from '../../src/policy/ip.ts';
import { parseJson } from '../../src/policy/json.ts';
import { parseTemplate } from '../../src/policy/template.ts';

const none = () => undefined;

describe('wildcards', () => {
  const m = (pattern: string, value: string, mode: GlobMode = 'plain') =>
    compileText(pattern, mode).test(value, none);

  test('plain mode', () => {
    expect(m('*', '')).toBe(true);
    expect(m('a*', 'abc')).toBe(true);
    expect(m('*c', 'abc')).toBe(true);
    expect(m('*b*', 'abc')).toBe(true);
    expect(m('a?c', 'abc')).toBe(true);
    expect(m('a?c', 'ac')).toBe(false);
    expect(m('a*b*c', 'aXbYbZc')).toBe(true);
    expect(m('a*b*c', 'aXbYbZ')).toBe(false);
    expect(m('**', 'x')).toBe(true);
    expect(m('abc', 'abcd')).toBe(false);
  });

  test('resource mode: a star inside a segment stays in it, a star ending a segment may cross colons', () => {
    expect(m('arn:aws:ec2:us-*-1:*:instance/*', 'arn:aws:ec2:us-east-1:1:instance/i', 'resource')).toBe(true);
    expect(m('arn:aws:ec2:u*1:2:x', 'arn:aws:ec2:u:0:1:2:x', 'resource')).toBe(false);
    expect(m('arn:aws:ec2:*:2:x', 'arn:aws:ec2:u:0:1:2:x', 'resource')).toBe(true);
    expect(m('arn:aws:s3:*', 'arn:aws:s3:::bucket/key', 'resource')).toBe(true);
    expect(m('arn:aws:s3:::b/*', 'arn:aws:s3:::b/a:b/c', 'resource')).toBe(true);
    expect(m('arn:aws:s3:::b/*/c', 'arn:aws:s3:::b/a:b/c', 'resource')).toBe(true);
    expect(m('arn:aws:iam::?23:user/x', 'arn:aws:iam::123:user/x', 'resource')).toBe(true);
    // A colon-crossing star before a confined one needs the exact (DP) matcher.
    expect(m('arn:aws:ec2:*:12*3:i', 'arn:aws:ec2:r:12:x:12z3:i', 'resource')).toBe(true);
  });

  test('arn mode: six components, each matched separately', () => {
    expect(m('arn:aws:sns:*:1:t', 'arn:aws:sns:a:b:1:t', 'arn')).toBe(false);
    expect(m('arn:aws:sns:*:1:t', 'arn:aws:sns:a:1:t', 'arn')).toBe(true);
    expect(m('arn:aws:s3:*', 'arn:aws:s3:::b', 'arn')).toBe(false);
  });

  const tokens = fc.array(
    fc.oneof(
      fc.constantFrom<Token>('a', 'b', ':', '/', 'ab', 'a:'),
      fc.constantFrom<Token>(STAR_ANY, STAR_SEG, ONE_ANY, ONE_SEG),
    ),
    { maxLength: 8 },
  );
  const value = fc.array(fc.constantFrom('a', 'b', ':', '/'), { maxLength: 12 }).map((cs) => cs.join(''));
  const regexOf = (toks: Token[]) =>
    new RegExp(
      `^${toks
        .map((t) =>
          t === STAR_ANY
            ? '.*'
            : t === STAR_SEG
              ? '[^:]*'
              : t === ONE_ANY
                ? '.'
                : t === ONE_SEG
                  ? '[^:]'
                  : String(t).replace(/[/]/g, '\\/'),
        )
        .join('')}$`,
      's',
    );

  test('the DP matcher agrees with a regular expression for any mix of wildcards', () => {
    fc.assert(
      fc.property(tokens, value, (toks, v) => {
        expect(dpMatch(toks, v)).toBe(regexOf(toks).test(v));
      }),
      { numRuns: 3000 },
    );
  });

  test('the classic matcher agrees when no colon-crossing wildcard precedes a confined star', () => {
    fc.assert(
      fc.property(tokens, value, (toks, v) => {
        const firstAny = toks.findIndex((t) => t === STAR_ANY || t === ONE_ANY);
        if (firstAny >= 0 && toks.slice(firstAny).includes(STAR_SEG)) return;
        expect(classicMatch(toks, v)).toBe(regexOf(toks).test(v));
      }),
      { numRuns: 3000 },
    );
  });

  test('matching stays fast on adversarial patterns', () => {
    const pattern = `${'a*'.repeat(20)}b`;
    const start = performance.now();
    expect(m(pattern, 'a'.repeat(5000))).toBe(false);
    expect(m(`arn:aws:s3:*:${'a*'.repeat(10)}:x`, `arn:aws:s3:r:${'a'.repeat(2000)}:y`, 'resource')).toBe(
      false,
    );
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('IP addresses', () => {
  test('parses IPv4 and IPv6', () => {
    expect(parseIp('203.0.113.7')).toBe(0xcb007107);
    expect(parseIp('0.0.0.0')).toBe(0);
    expect(parseIp('255.255.255.255')).toBe(0xffffffff);
    expect(parseIp('::')).toBe(0n);
    expect(parseIp('::1')).toBe(1n);
    expect(parseIp('2001:db8::')).toBe(0x20010db8n << 96n);
    expect(parseIp('::ffff:1.2.3.4')).toBe((0xffffn << 32n) | 0x01020304n);
    expect(parseIp('1:2:3:4:5:6:7:8')).toBe(0x00010002000300040005000600070008n);
  });

  test('rejects malformed addresses', () => {
    for (const bad of [
      '256.1.1.1',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.4.5',
      '',
      'x',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      'fe80::1%eth0',
      '1.2.3.4::',
      ':1:2:3:4:5:6:7',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  test('CIDR ranges', () => {
    const v4 = parseCidr('192.168.0.0/16')!;
    expect(cidrContains(v4, parseIp('192.168.255.1')!)).toBe(true);
    expect(cidrContains(v4, parseIp('192.169.0.1')!)).toBe(false);
    const v6 = parseCidr('2001:DB8:1234:5678::/64')!;
    expect(cidrContains(v6, parseIp('2001:db8:1234:5678:ffff::1')!)).toBe(true);
    expect(cidrContains(v6, parseIp('2001:db8:1234:5679::')!)).toBe(false);
    expect(cidrContains(v6, parseIp('192.168.0.1')!)).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0/08')).toBeUndefined();
    expect(parseCidr('::/129')).toBeUndefined();
    expect(parseCidr('10.0.0.0/')).toBeUndefined();
  });
});

describe('dates', () => {
  test('W3C ISO 8601 profiles, the basic form and epoch seconds', () => {
    const t = Date.UTC(2014, 4, 7, 23, 47);
    expect(parseDate('2014-05-07T23:47:00Z')).toBe(t);
    expect(parseDate('2014-05-07T23:47Z')).toBe(t);
    expect(parseDate('2014-05-08T01:47:00+02:00')).toBe(t);
    expect(parseDate('2014-05-07T23:47:00')).toBe(t);
    expect(parseDate('20140507T234700Z')).toBe(t);
    expect(parseDate(String(t / 1000))).toBe(t);
    expect(parseDate('2014-05-07T23:47:00.123456Z')).toBe(t + 123);
    expect(parseDate('2014-05-07')).toBe(Date.UTC(2014, 4, 7));
    expect(parseDate('2014-05')).toBe(Date.UTC(2014, 4, 1));
    expect(parseDate('2014')).toBe(Date.UTC(2014, 0, 1));
    expect(parseDate('0')).toBe(0);
  });

  test('rejects what is not a date', () => {
    for (const bad of [
      '',
      'yesterday',
      '2014-13-01',
      '2014-02-30',
      '2013-02-29',
      '2014-05-07T24:00:00Z',
      '2014-05-07T23:60Z',
      '2014-05-07 23:47:00Z',
      '2014-05-07T23:47:00+25:00',
      '-1',
    ]) {
      expect(parseDate(bad), bad).toBeNaN();
    }
    expect(parseDate('2012-02-29')).toBe(Date.UTC(2012, 1, 29));
  });
});

describe('policy variables', () => {
  test('variables, defaults and escapes', () => {
    expect(parseTemplate("a/${aws:username}/${aws:PrincipalTag/team, 'x y'}${*}", true)).toEqual({
      parts: [
        { kind: 'text', text: 'a/' },
        { kind: 'var', name: 'aws:username', lower: 'aws:username', fallback: undefined },
        { kind: 'text', text: '/' },
        { kind: 'var', name: 'aws:PrincipalTag/team', lower: 'aws:principaltag/team', fallback: 'x y' },
        { kind: 'literal', text: '*' },
      ],
      hasVariables: true,
    });
  });

  test('web identity and SAML keys are variables too', () => {
    for (const name of [
      'www.amazon.com:user_id',
      'cognito-identity.amazonaws.com:sub',
      'saml:sub',
      'aws:PrincipalTag/cost center',
    ]) {
      expect(parseTemplate(`\${${name}}`, true).hasVariables, name).toBe(true);
    }
  });

  test('errors', () => {
    expect(parseTemplate('${aws:username', true).error).toMatch(/unterminated/);
    expect(parseTemplate('${}', true).error).toMatch(/invalid/);
    expect(parseTemplate('${nocolon}', true).error).toMatch(/invalid/);
  });

  test('2008-10-17: all text', () => {
    expect(parseTemplate('${aws:username', false)).toEqual({
      parts: [{ kind: 'text', text: '${aws:username' }],
      hasVariables: false,
    });
  });
});

describe('JSON parser', () => {
  test('parses what JSON.parse parses', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        const r = parseJson(text);
        expect(r.ok).toBe(true);
        if (r.ok) expect(JSON.stringify(r.value)).toBe(JSON.stringify(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });

  test('reports duplicate keys with their path and goes on', () => {
    const r = parseJson('{"a":{"b":1,"b":2},"c":[{"d":1,"d":1}]}');
    expect(r.ok).toBe(true);
    expect(r.errors).toEqual([
      { path: 'a.b', message: 'duplicate key "b"' },
      { path: 'c[0].d', message: 'duplicate key "d"' },
    ]);
  });

  test('escapes, surrogate pairs, a byte order mark', () => {
    const r = parseJson('\ufeff{"k":"\\u00e9\\ud83d\\ude00\\n\\"\\/"}');
    expect(r.ok && (r.value as Record<string, string>)['k']).toBe('é😀\n"/');
  });

  test('syntax errors carry line and column', () => {
    const r = parseJson('{\n  "a": tru\n}');
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toEqual({
      path: 'a',
      message: 'invalid JSON at line 2 column 8: unexpected character "t"',
    });
  });

  test('odd keys are quoted in paths', () => {
    const r = parseJson('{"":{"x":1,"x":2},"a.b[0]":{"y":1,"y":2}}');
    expect(r.errors.map((e) => e.path)).toEqual(['[""].x', '["a.b[0]"].y']);
  });
});
