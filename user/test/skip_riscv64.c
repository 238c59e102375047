/*
 * The runner's skip point on riscv64 (runner.c, SKIP_SETJMP), where clang has
 * no __builtin_setjmp: the callee-saved state of the LP64D calling
 * convention, ra, sp, s0-s11 and fs0-fs11, in 26 words. skip_setjmp returns 0
 * when called and 1 when skip_longjmp comes back to it.
 */
#ifdef __riscv

__asm__(".text\n"
        ".p2align 2\n"
        ".globl skip_setjmp\n"
        "skip_setjmp:\n\t"
        "sd ra, 0(a0)\n\t"
        "sd sp, 8(a0)\n\t"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n\t"
        "sd s\\n, (16 + 8 * \\n)(a0)\n\t"
        "fsd fs\\n, (112 + 8 * \\n)(a0)\n\t"
        ".endr\n\t"
        "li a0, 0\n\t"
        "ret\n"
        ".globl skip_longjmp\n"
        "skip_longjmp:\n\t"
        "ld ra, 0(a0)\n\t"
        "ld sp, 8(a0)\n\t"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n\t"
        "ld s\\n, (16 + 8 * \\n)(a0)\n\t"
        "fld fs\\n, (112 + 8 * \\n)(a0)\n\t"
        ".endr\n\t"
        "li a0, 1\n\t"
        "ret\n");

#endif
