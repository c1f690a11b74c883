package hashbank

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The PDQ test images are drawn here, with the standard library only, and
// committed under testdata/pdq; the reference implementation's hashes of
// the same files are in testdata/pdq/reference.tsv. Redraw them with
//
//	go test -run TestGeneratePDQImages -generate-pdq-images ./hashbank
//
// (and re-run the reference hasher on them: see doc/image-hashing.md). The
// libjpeg-pixels-*.png files there are not drawn here: they hold libjpeg's
// decoding of the JPEGs.
var generatePDQImages = flag.Bool("generate-pdq-images", false, "redraw the PDQ test images in testdata/pdq")

const pdqImageDir = "testdata/pdq"

type testImage struct {
	name string // file name; the extension chooses the encoder
	img  func() image.Image
	// For a JPEG: the quality of Go's encoder (85 when zero), which writes
	// baseline 4:2:0 colour or greyscale only; or, when cjpeg is set, the
	// options of libjpeg's cjpeg, which writes the other layouts
	// (4:4:4, 4:2:2, 4:4:0, 4:1:1, progressive, restart intervals).
	quality int
	cjpeg   []string
}

func rgbaImage(w, h int, f func(x, y int) color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, f(x, y))
		}
	}
	return img
}

func grayImage(w, h int, f func(x, y int) uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{f(x, y)})
		}
	}
	return img
}

func gradient(w, h int) image.Image {
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		return color.RGBA{uint8(255 * x / max(w-1, 1)), uint8(255 * y / max(h-1, 1)), uint8(255 * (x + y) / max(w+h-2, 1)), 255}
	})
}

func radial(w, h int) image.Image {
	return grayImage(w, h, func(x, y int) uint8 {
		dx, dy := float64(x)-float64(w)/3, float64(y)-float64(h)/2
		return uint8(127.5 + 127.5*math.Cos(math.Hypot(dx, dy)/9))
	})
}

func checker(w, h, cell int) image.Image {
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		if (x/cell+y/cell)%2 == 0 {
			return color.RGBA{230, 40, 40, 255}
		}
		return color.RGBA{20, 20, 90, 255}
	})
}

func circles(w, h int, seed uint64) image.Image {
	r := rand.New(rand.NewPCG(seed, 11))
	type circle struct {
		cx, cy, rad float64
		c           color.RGBA
	}
	var cs []circle
	for range 12 {
		cs = append(cs, circle{r.Float64() * float64(w), r.Float64() * float64(h), (0.05 + 0.25*r.Float64()) * float64(min(w, h)),
			color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}})
	}
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		c := color.RGBA{240, 235, 220, 255}
		for _, k := range cs {
			if math.Hypot(float64(x)-k.cx, float64(y)-k.cy) < k.rad {
				c = k.c
			}
		}
		return c
	})
}

func noise(w, h int, seed uint64, gray bool) image.Image {
	r := rand.New(rand.NewPCG(seed, 12))
	if gray {
		return grayImage(w, h, func(x, y int) uint8 { return uint8(r.IntN(256)) })
	}
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		return color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
	})
}

// textLike draws rows of dark "glyphs" (random bars and blocks) on a light
// ground, like a label or a screenshot of text.
func textLike(w, h int, seed uint64) image.Image {
	r := rand.New(rand.NewPCG(seed, 13))
	img := rgbaImage(w, h, func(x, y int) color.RGBA { return color.RGBA{250, 250, 245, 255} })
	line := max(h/12, 6)
	for top := line / 2; top+line < h; top += line + line/2 {
		for x := line / 2; x+line/2 < w; {
			gw := line/3 + r.IntN(line/2+1)
			for range 3 {
				bx, by := x+r.IntN(max(gw, 1)), top+r.IntN(line)
				bw, bh := 1+r.IntN(max(gw/2, 1)), 1+r.IntN(line)
				for yy := by; yy < min(by+bh, top+line, h); yy++ {
					for xx := bx; xx < min(bx+bw, w); xx++ {
						img.SetRGBA(xx, yy, color.RGBA{20, 20, 30, 255})
					}
				}
			}
			x += gw + 1 + r.IntN(line/2+1)
			if r.IntN(7) == 0 {
				x += line // a space
			}
		}
	}
	return img
}

func flat(w, h int, v uint8) image.Image {
	return grayImage(w, h, func(x, y int) uint8 { return v })
}

func paletted(w, h int) image.Image {
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 200, 0, 255}, color.RGBA{0, 120, 255, 255}, color.RGBA{255, 255, 255, 255}}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := range h {
		for x := range w {
			img.SetColorIndex(x, y, uint8((x/10+y/7+(x*y)/300)%4))
		}
	}
	return img
}

// transform returns img rotated or mirrored: k is one of Rotate90 …
// FlipMinus1 (rotations counter-clockwise, as PDQ names them).
func transform(img image.Image, k int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	if k == Rotate90 || k == Rotate270 || k == FlipPlus1 || k == FlipMinus1 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range oh {
		for x := range ow {
			var sx, sy int
			switch k {
			case Original:
				sx, sy = x, y
			case Rotate90: // counter-clockwise: the right column becomes the top row
				sx, sy = w-1-y, x
			case Rotate180:
				sx, sy = w-1-x, h-1-y
			case Rotate270: // clockwise: the left column becomes the top row
				sx, sy = y, h-1-x
			case FlipX: // mirrored about the horizontal axis: top and bottom swap
				sx, sy = x, h-1-y
			case FlipY: // mirrored about the vertical axis: left and right swap
				sx, sy = w-1-x, y
			case FlipPlus1: // transpose
				sx, sy = y, x
			case FlipMinus1: // anti-transpose
				sx, sy = w-1-y, h-1-x
			}
			out.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return out
}

// pdqTestImages are the images hashed by the reference. The dih- images
// are two originals in all eight orientations; pdqJPEGImages adds JPEGs
// in every layout.
func pdqTestImages() []testImage {
	imgs := []testImage{
		{name: "gradient-256x256.png", img: func() image.Image { return gradient(256, 256) }},
		{name: "gradient-300x200.png", img: func() image.Image { return gradient(300, 200) }},
		{name: "gradient-300x200.jpg", img: func() image.Image { return gradient(300, 200) }},
		{name: "radial-gray-240x240.png", img: func() image.Image { return radial(240, 240) }},
		{name: "radial-gray-333x222.jpg", img: func() image.Image { return radial(333, 222) }},
		{name: "checker8-256x256.png", img: func() image.Image { return checker(256, 256, 8) }},
		{name: "checker3-97x61.png", img: func() image.Image { return checker(97, 61, 3) }},
		{name: "checker40-400x400.jpg", img: func() image.Image { return checker(400, 400, 40) }},
		{name: "circles-400x300.png", img: func() image.Image { return circles(400, 300, 1) }},
		{name: "circles-400x300.jpg", img: func() image.Image { return circles(400, 300, 1) }},
		{name: "circles-1024x768.jpg", img: func() image.Image { return circles(1024, 768, 2) }},
		{name: "circles-640x480.png", img: func() image.Image { return circles(640, 480, 3) }},
		{name: "noise-gray-128x128.png", img: func() image.Image { return noise(128, 128, 1, true) }},
		{name: "noise-rgb-200x150.png", img: func() image.Image { return noise(200, 150, 2, false) }},
		{name: "noise-rgb-700x500.jpg", img: func() image.Image { return noise(700, 500, 3, false) }},
		{name: "text-600x200.png", img: func() image.Image { return textLike(600, 200, 1) }},
		{name: "text-150x900.png", img: func() image.Image { return textLike(150, 900, 2) }},
		{name: "text-480x360.jpg", img: func() image.Image { return textLike(480, 360, 3) }},
		{name: "scene-800x600.jpg", img: func() image.Image { return scene(7, 800, 600) }},
		{name: "scene-257x385.png", img: func() image.Image { return scene(8, 257, 385) }},
		{name: "scene-512x512.png", img: func() image.Image { return scene(9, 512, 512) }},
		{name: "scene-513x200.png", img: func() image.Image { return scene(10, 513, 200) }},
		{name: "scene-129x129.png", img: func() image.Image { return scene(11, 129, 129) }},
		{name: "scene-65x63.png", img: func() image.Image { return scene(12, 65, 63) }},
		{name: "scene-64x64.png", img: func() image.Image { return scene(13, 64, 64) }},
		{name: "palette-210x140.png", img: func() image.Image { return paletted(210, 140) }},
		{name: "tiny-5x5.png", img: func() image.Image { return noise(5, 5, 4, false) }},
		{name: "tiny-8x6.png", img: func() image.Image { return gradient(8, 6) }},
		{name: "tiny-12x7-gray.png", img: func() image.Image { return noise(12, 7, 5, true) }},
		{name: "tiny-4x4.png", img: func() image.Image { return gradient(4, 4) }},
		{name: "flat-gray-100x100.png", img: func() image.Image { return flat(100, 100, 128) }},
	}
	imgs = append(imgs, pdqJPEGImages()...)
	for _, base := range []struct {
		name string
		img  func() image.Image
	}{
		{name: "circles-320x200", img: func() image.Image { return circles(320, 200, 4) }},
		{name: "scene-256x256", img: func() image.Image { return scene(14, 256, 256) }},
	} {
		for k := range 8 {
			imgs = append(imgs, testImage{name: "dih-" + base.name + "-" + DihedralNames[k] + ".png", img: func() image.Image { return transform(base.img(), k) }})
		}
	}
	return imgs
}

func TestGeneratePDQImages(t *testing.T) {
	if !*generatePDQImages {
		t.Skip("run with -generate-pdq-images to redraw testdata/pdq")
	}
	if err := os.MkdirAll(pdqImageDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ti := range pdqTestImages() {
		var data []byte
		switch {
		case ti.cjpeg != nil:
			data = cjpeg(t, ti.img(), ti.cjpeg)
		case filepath.Ext(ti.name) == ".jpg":
			data = encodeJPEG(t, ti.img(), cmp.Or(ti.quality, 85))
		default:
			data = encodePNG(t, ti.img())
		}
		if err := os.WriteFile(filepath.Join(pdqImageDir, ti.name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pdqJPEGImages are JPEGs in the layouts and qualities a decoder has to
// get right: smooth images at low quality, sizes that are not whole MCUs,
// every chroma subsampling, progressive coding and restart intervals.
func pdqJPEGImages() []testImage {
	grad := func() image.Image { return gradient(300, 200) }
	scn := func() image.Image { return scene(15, 301, 199) }
	imgs := []testImage{
		{name: "gradient-300x200-q20.jpg", img: grad, quality: 20},
		{name: "gradient-300x200-q50.jpg", img: grad, quality: 50},
		{name: "gradient-300x200-q95.jpg", img: grad, quality: 95},
		{name: "gradient-301x199-q75.jpg", img: func() image.Image { return gradient(301, 199) }, quality: 75},
		{name: "radial-gray-333x222-q30.jpg", img: func() image.Image { return radial(333, 222) }, quality: 30},
		{name: "scene-1023x767-q60.jpg", img: func() image.Image { return scene(16, 1023, 767) }, quality: 60},
		{name: "text-150x900-q40.jpg", img: func() image.Image { return textLike(150, 900, 2) }, quality: 40},
		{name: "circles-97x61-q90.jpg", img: func() image.Image { return circles(97, 61, 5) }, quality: 90},
		{name: "gradient-300x200-q20-optimize.jpg", img: grad, cjpeg: []string{"-quality", "20", "-optimize"}},
		{name: "scene-640x480-progressive.jpg", img: func() image.Image { return scene(17, 640, 480) }, cjpeg: []string{"-quality", "80", "-progressive"}},
		{name: "scene-301x199-progressive-444.jpg", img: scn, cjpeg: []string{"-quality", "60", "-progressive", "-sample", "1x1"}},
		{name: "radial-gray-333x222-progressive.jpg", img: func() image.Image { return radial(333, 222) }, cjpeg: []string{"-quality", "50", "-progressive"}},
		{name: "circles-400x300-restart.jpg", img: func() image.Image { return circles(400, 300, 1) }, cjpeg: []string{"-quality", "85", "-restart", "2"}},
		{name: "scene-400x300-progressive-restart.jpg", img: func() image.Image { return scene(18, 400, 300) }, cjpeg: []string{"-quality", "70", "-progressive", "-restart", "7B"}},
	}
	for _, sub := range []struct{ name, factors string }{{"444", "1x1"}, {"422", "2x1"}, {"440", "1x2"}, {"411", "4x1"}} {
		imgs = append(imgs,
			testImage{name: "gradient-300x200-" + sub.name + ".jpg", img: grad, cjpeg: []string{"-quality", "75", "-sample", sub.factors}},
			testImage{name: "scene-301x199-" + sub.name + ".jpg", img: scn, cjpeg: []string{"-quality", "75", "-sample", sub.factors}})
	}
	return imgs
}

// cjpeg encodes img with libjpeg's cjpeg (on PATH) and the given options.
func cjpeg(t *testing.T, img image.Image, opts []string) []byte {
	var in bytes.Buffer
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok {
		fmt.Fprintf(&in, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			in.Write(g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()])
		}
	} else {
		fmt.Fprintf(&in, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				in.Write([]byte{c.R, c.G, c.B})
			}
		}
	}
	cmd := exec.Command("cjpeg", opts...)
	cmd.Stdin = &in
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("cjpeg %v: %v: %s", opts, err, errOut.String())
	}
	return out.Bytes()
}
