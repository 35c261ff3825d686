// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal } from "node:assert/strict";
import { Fifo } from "../receiver/fifo.ts";

Deno.test("Fifo keeps order across compactions, removeAt and clear", () => {
  const q = new Fifo<number>();
  equal(q.shift(), undefined);
  equal(q.peek(), undefined);
  const model: number[] = [];
  let next = 0;
  // Interleave pushes and shifts so that the head passes 1,024 many times.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3000; i++) {
      q.push(next);
      model.push(next++);
    }
    for (let i = 0; i < 2500; i++) {
      equal(q.peek(), model[0]);
      equal(q.shift(), model.shift());
    }
    equal(q.size, model.length);
  }
  equal(q.removeAt(1), model.splice(1, 1)[0]);
  equal(q.removeAt(q.size), undefined);
  equal(q.removeAt(-1), undefined);
  const rest: number[] = [];
  for (let x = q.shift(); x !== undefined; x = q.shift()) rest.push(x);
  deepEqual(rest, model);
  q.push(1);
  q.push(2);
  q.clear();
  equal(q.size, 0);
  equal(q.shift(), undefined);
});
