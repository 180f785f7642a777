// oneDNN's bf16 matmul (the bf16 weight read in place) against BF16GEMM's emulation (the weight widened to fp32,
// then oneDNN's fp32 matmul) at 8-256 rows on T5-base's two FFN shapes, one thread, the weights cycled through 24
// copies so they come from memory as in a model. On a CPU whose AVX512_BF16 dot product is slower than its fp32 FMA
// (BF16DotRate.c), from how many rows does the emulation win? (BF16GEMM.emulationMinimumRows; docs/BENCHMARKS.md)
// Run: gcc -O3 -march=haswell scripts/bench/explore/bf16_rows.c -o /tmp/bf16_rows -ldnnl -fopenmp && /tmp/bf16_rows
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { printf("%s failed: %d\n", #x, s_); exit(1); } } while (0)
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static dnnl_engine_t engine; static dnnl_stream_t stream;
static dnnl_primitive_t make(int64_t m,int64_t k,int64_t n,int bf16,dnnl_memory_desc_t*a,dnnl_memory_desc_t*b,dnnl_memory_desc_t*c){
  dnnl_data_type_t t=bf16?dnnl_bf16:dnnl_f32; dnnl_dims_t da={m,k},sa={k,1},db={k,n},sb={1,k},dc={m,n},sc={n,1};
  CHECK(dnnl_memory_desc_init_by_strides(a,2,da,t,sa)); CHECK(dnnl_memory_desc_init_by_strides(b,2,db,t,sb)); CHECK(dnnl_memory_desc_init_by_strides(c,2,dc,dnnl_f32,sc));
  dnnl_matmul_desc_t d; CHECK(dnnl_matmul_desc_init(&d,a,b,NULL,c)); dnnl_primitive_desc_t pd; CHECK(dnnl_primitive_desc_create(&pd,&d,NULL,engine,NULL));
  dnnl_primitive_t p; CHECK(dnnl_primitive_create(&p,pd)); dnnl_primitive_desc_destroy(pd); return p; }
static void run(dnnl_primitive_t p,dnnl_memory_desc_t*a,dnnl_memory_desc_t*b,dnnl_memory_desc_t*c,void*A,void*B,void*C){
  dnnl_memory_t am,bm,cm; CHECK(dnnl_memory_create(&am,a,engine,A)); CHECK(dnnl_memory_create(&bm,b,engine,B)); CHECK(dnnl_memory_create(&cm,c,engine,C));
  dnnl_exec_arg_t args[3]={{DNNL_ARG_SRC,am},{DNNL_ARG_WEIGHTS,bm},{DNNL_ARG_DST,cm}}; CHECK(dnnl_primitive_execute(p,stream,3,args)); CHECK(dnnl_stream_wait(stream));
  dnnl_memory_destroy(am);dnnl_memory_destroy(bm);dnnl_memory_destroy(cm);}
int main(){
  CHECK(dnnl_engine_create(&engine,dnnl_cpu,0)); CHECK(dnnl_stream_create(&stream,engine,dnnl_stream_default_flags));
  int64_t shapes[2][2]={{768,2048},{2048,768}};
  printf("one thread, ms per product (weights cycled through 24 matrices so they come from memory)\n%5s %10s %6s %10s %10s %6s\n","rows","k->n","","bf16","emulated","ratio");
  for(int s=0;s<2;s++){ int64_t k=shapes[s][0],n=shapes[s][1]; int W=24;
    uint16_t*wb=aligned_alloc(64,(size_t)W*k*n*2); for(size_t i=0;i<(size_t)W*k*n;i++) wb[i]=0x3f80+(i%7);
    float*wf=aligned_alloc(64,(size_t)k*n*4);
    int rows[]={8,17,32,48,64,96,128,256};
    for(int r=0;r<8;r++){ int64_t m=rows[r];
      uint16_t*ab=aligned_alloc(64,m*k*2); float*af=aligned_alloc(64,m*k*4); float*c=aligned_alloc(64,m*n*4);
      for(int i=0;i<m*k;i++){ab[i]=0x3f80;af[i]=1;}
      dnnl_memory_desc_t a1,b1,c1,a2,b2,c2; dnnl_primitive_t pb=make(m,k,n,1,&a1,&b1,&c1), pf=make(m,k,n,0,&a2,&b2,&c2);
      double tb=1e9,tf=1e9;
      for(int rep=0;rep<3;rep++){
        double t0=now(); for(int w=0;w<W;w++) run(pb,&a1,&b1,&c1,ab,wb+(size_t)w*k*n,c); double t1=now();
        for(int w=0;w<W;w++){ uint16_t*src=wb+(size_t)w*k*n; uint32_t*dst=(uint32_t*)wf; for(size_t i=0;i<(size_t)k*n;i++) dst[i]=(uint32_t)src[i]<<16; run(pf,&a2,&b2,&c2,af,wf,c);} double t2=now();
        if(t1-t0<tb)tb=t1-t0; if(t2-t1<tf)tf=t2-t1; }
      printf("%5ld %4ld->%4ld %6s %10.3f %10.3f %6.2f\n",(long)m,(long)k,(long)n,"",tb/W*1e3,tf/W*1e3,tb/tf);
      free(ab);free(af);free(c); dnnl_primitive_destroy(pb); dnnl_primitive_destroy(pf);}
    free(wb);free(wf);}
}
