(module
  (memory (export "memory") 1)
  ;; out[r] = sum_i m[r*stride + i] * q[i] for rows [0, rows); m int8, q int16, out int32.
  (func (export "dots") (param $m i32) (param $rows i32) (param $stride i32) (param $q i32) (param $out i32)
    (local $end i32) (local $i i32) (local $acc v128) (local $v v128) (local $qi i32)
    (local.set $end (i32.add (local.get $m) (i32.mul (local.get $rows) (local.get $stride))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $m) (local.get $end)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (local.set $qi (local.get $q))
        (loop $col
          (local.set $v (v128.load (i32.add (local.get $m) (local.get $i))))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (v128.load (local.get $qi)))))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (v128.load offset=16 (local.get $qi)))))
          (local.set $qi (i32.add (local.get $qi) (i32.const 32)))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $i) (local.get $stride))))
        (i32.store (local.get $out)
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                   (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $m (i32.add (local.get $m) (local.get $stride)))
        (br $row))))
)
