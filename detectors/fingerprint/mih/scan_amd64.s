//go:build amd64 && !purego

#include "textflag.h"

// Sibling-slot filters for Index.Search (see scanFunc in scan.go for the contract).
// Both read whole blocks, up to 63 slots past hi: New pads every slot's sibling array.
// Registers: SI base, AX pos, BX hi, DX the mask on return.

// SCAN_END ends a kernel: at found, clears the mask DX of the block at AX (width slots)
// past hi (when nothing is left, hi and a zero mask); at none, a zero mask. Both reach
// done with AX and DX to return.
#define SCAN_END(width) \
found: \
	MOVL BX, CX \
	SUBL AX, CX \
	CMPL CX, $width \
	JAE  done \
	MOVQ $1, R8 \
	SHLQ CX, R8 \
	DECQ R8 \
	ANDQ R8, DX \
	JNZ  done \
	MOVL BX, AX \
none: \
	XORL DX, DX \
done: \
	VZEROUPPER

// The arguments and results are named in each function, not in macros, so that go vet
// (asmdecl) checks them.

// func scanAVX512(base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (p uint32, mask uint64)
//
// 64 slots per iteration: XOR with the query's sibling, 16-bit popcount (BITALG),
// unsigned compare with lim into two 32-bit mask registers.
TEXT ·scanAVX512(SB), NOSPLIT, $0-40
	MOVQ    base+0(FP), SI
	MOVL    pos+8(FP), AX
	MOVL    hi+12(FP), BX
	MOVWLZX q+16(FP), CX
	MOVBLZX lim+18(FP), DX
	VPBROADCASTW CX, Z0
	VPBROADCASTW DX, Z1

loop:
	CMPL AX, BX
	JAE  none
	VPXORD   (SI)(AX*2), Z0, Z2
	VPXORD   64(SI)(AX*2), Z0, Z3
	VPOPCNTW Z2, Z2
	VPOPCNTW Z3, Z3
	VPCMPUW  $2, Z1, Z2, K1 // lanes 0..31: popcount <= lim
	VPCMPUW  $2, Z1, Z3, K2 // lanes 32..63
	KUNPCKDQ K1, K2, K3     // K3 = K2<<32 | K1
	KMOVQ    K3, DX
	TESTQ    DX, DX
	JNZ      found
	ADDL     $64, AX
	JMP      loop

	SCAN_END(64)
	MOVL AX, p+24(FP)
	MOVQ DX, mask+32(FP)
	RET

// popcount of each nibble value, for VPSHUFB, in both 128-bit lanes.
DATA nibblePop<>+0(SB)/8, $0x0302020102010100
DATA nibblePop<>+8(SB)/8, $0x0403030203020201
DATA nibblePop<>+16(SB)/8, $0x0302020102010100
DATA nibblePop<>+24(SB)/8, $0x0403030203020201
GLOBL nibblePop<>(SB), RODATA|NOPTR, $32

// func scanAVX2(base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (p uint32, mask uint64)
//
// 32 slots per iteration: XOR, nibble popcount with VPSHUFB, byte pairs summed into
// words with VPMADDUBSW, signed compare with lim (counts and lim are small), packed to
// bytes and moved to a 32-bit fail mask.
TEXT ·scanAVX2(SB), NOSPLIT, $0-40
	MOVQ    base+0(FP), SI
	MOVL    pos+8(FP), AX
	MOVL    hi+12(FP), BX
	MOVWLZX q+16(FP), CX
	MOVBLZX lim+18(FP), DX
	MOVQ    CX, X0
	VPBROADCASTW X0, Y0
	MOVQ    DX, X1
	VPBROADCASTW X1, Y1
	VMOVDQU nibblePop<>(SB), Y2
	MOVL    $0x0f, CX
	MOVQ    CX, X3
	VPBROADCASTB X3, Y3
	MOVL    $1, CX
	MOVQ    CX, X4
	VPBROADCASTB X4, Y4

loop:
	CMPL AX, BX
	JAE  none
	VPXOR      (SI)(AX*2), Y0, Y5
	VPXOR      32(SI)(AX*2), Y0, Y6
	VPSRLW     $4, Y5, Y7
	VPSRLW     $4, Y6, Y8
	VPAND      Y3, Y5, Y5
	VPAND      Y3, Y6, Y6
	VPAND      Y3, Y7, Y7
	VPAND      Y3, Y8, Y8
	VPSHUFB    Y5, Y2, Y5
	VPSHUFB    Y6, Y2, Y6
	VPSHUFB    Y7, Y2, Y7
	VPSHUFB    Y8, Y2, Y8
	VPADDB     Y7, Y5, Y5
	VPADDB     Y8, Y6, Y6
	VPMADDUBSW Y4, Y5, Y5   // word = popcount of its two bytes
	VPMADDUBSW Y4, Y6, Y6
	VPCMPGTW   Y1, Y5, Y5   // 0xffff where popcount > lim: fails
	VPCMPGTW   Y1, Y6, Y6
	VPACKSSWB  Y6, Y5, Y5   // bytes, in 64-bit groups 0-7, 16-23, 8-15, 24-31
	VPERMQ     $0xd8, Y5, Y5 // back in lane order
	VPMOVMSKB  Y5, DX
	NOTL       DX
	TESTL      DX, DX
	JNZ        found
	ADDL       $32, AX
	JMP        loop

	SCAN_END(32)
	MOVL AX, p+24(FP)
	MOVQ DX, mask+32(FP)
	RET

// func prefetch(p unsafe.Pointer, n uintptr)
//
// PREFETCHT0 of every cache line of [p, p+n), n > 0.
TEXT ·prefetch(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	LEAQ -1(SI)(CX*1), DI
	ANDQ $-64, DI // the last line
	ANDQ $-64, SI

pfloop:
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	CMPQ       SI, DI
	JBE        pfloop
	RET

// func prefetch1(p unsafe.Pointer)
TEXT ·prefetch1(SB), NOSPLIT, $0-8
	MOVQ       p+0(FP), AX
	PREFETCHT0 (AX)
	RET
